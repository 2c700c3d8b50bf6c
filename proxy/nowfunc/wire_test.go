package nowfunc

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/datastax/go-cassandra-native-protocol/datatype"
	"github.com/datastax/go-cassandra-native-protocol/message"
	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/internal/cqltest"
)

// The go-cassandra-native-protocol codecs encode the inputs and decode the
// outputs, so the byte surgery is checked against an independent codec.

var versions = cqltest.BodyVersions

func encodeMsg(t *testing.T, m message.Message, v primitive.ProtocolVersion) []byte {
	t.Helper()
	return cqltest.EncodeBody(t, m, v)
}

func decodeMsg(t *testing.T, op primitive.OpCode, b []byte, v primitive.ProtocolVersion) message.Message {
	t.Helper()
	return cqltest.DecodeBody(t, op, b, v)
}

func val(s string) *primitive.Value { return primitive.NewValue([]byte(s)) }

func contents(vals []*primitive.Value) []string {
	var out []string
	for _, v := range vals {
		switch v.Type {
		case primitive.ValueTypeNull:
			out = append(out, "<null>")
		case primitive.ValueTypeUnset:
			out = append(out, "<unset>")
		default:
			out = append(out, string(v.Contents))
		}
	}
	return out
}

var u = string(fixed[:])

func TestRewriteExecutePositional(t *testing.T) {
	p := &Prepared{Positions: []int{0, 3}}
	for _, v := range versions {
		vals := []*primitive.Value{val("a"), primitive.NewValue(nil), val("c")}
		if v >= primitive.ProtocolVersion4 {
			vals[1] = &primitive.Value{Type: primitive.ValueTypeUnset}
		}
		in := &message.Execute{QueryId: []byte{1, 2, 3}, Options: &message.QueryOptions{
			Consistency: primitive.ConsistencyLevelLocalQuorum, PositionalValues: vals, PageSize: 100,
			PagingState: []byte("ps")}}
		if v == primitive.ProtocolVersion5 {
			in.ResultMetadataId = []byte{9}
		}
		out, err := RewriteExecute(encodeMsg(t, in, v), v, p, fixed)
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		got := decodeMsg(t, primitive.OpCodeExecute, out, v).(*message.Execute)
		want := []string{u, "a", contents(vals[1:2])[0], u, "c"}
		if c := contents(got.Options.PositionalValues); !reflect.DeepEqual(c, want) {
			t.Errorf("v%d: values %q, want %q", v, c, want)
		}
		if got.Options.PageSize != 100 || string(got.Options.PagingState) != "ps" ||
			got.Options.Consistency != primitive.ConsistencyLevelLocalQuorum || !bytes.Equal(got.QueryId, in.QueryId) {
			t.Errorf("v%d: other fields changed: %+v", v, got.Options)
		}
	}
}

func TestRewriteExecuteWithoutValues(t *testing.T) {
	p := &Prepared{Positions: []int{0}}
	for _, v := range versions {
		in := &message.Execute{QueryId: []byte{7}, Options: &message.QueryOptions{Consistency: primitive.ConsistencyLevelOne, PageSize: 5000}}
		if v == primitive.ProtocolVersion5 {
			in.ResultMetadataId = []byte{9}
		}
		out, err := RewriteExecute(encodeMsg(t, in, v), v, p, fixed)
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		got := decodeMsg(t, primitive.OpCodeExecute, out, v).(*message.Execute)
		if c := contents(got.Options.PositionalValues); !reflect.DeepEqual(c, []string{u}) || got.Options.PageSize != 5000 {
			t.Errorf("v%d: values %q page size %d", v, c, got.Options.PageSize)
		}
	}
}

func TestRewriteExecuteNamed(t *testing.T) {
	p := &Prepared{Positions: []int{1}, Named: true, Names: []string{"zdm_now_0"}}
	for _, v := range versions {
		in := &message.Execute{QueryId: []byte{7}, Options: &message.QueryOptions{
			NamedValues: map[string]*primitive.Value{"v": val("x"), "id": val("1")}}}
		if v == primitive.ProtocolVersion5 {
			in.ResultMetadataId = []byte{9}
		}
		out, err := RewriteExecute(encodeMsg(t, in, v), v, p, fixed)
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		got := decodeMsg(t, primitive.OpCodeExecute, out, v).(*message.Execute).Options.NamedValues
		if len(got) != 3 || string(got["zdm_now_0"].Contents) != u || string(got["v"].Contents) != "x" {
			t.Errorf("v%d: named values %v", v, got)
		}
	}
	// Positional statement bound by name without known names: an error,
	// not a silently wrong statement.
	in := &message.Execute{QueryId: []byte{7}, Options: &message.QueryOptions{NamedValues: map[string]*primitive.Value{"v": val("x")}}}
	if _, err := RewriteExecute(encodeMsg(t, in, 4), 4, &Prepared{Positions: []int{0}}, fixed); err == nil {
		t.Error("named values without names accepted")
	}
}

func TestInsertValuesErrors(t *testing.T) {
	if _, _, err := InsertValues(nil, []byte{0, 2, 0, 0, 0, 1}, []int{0}, fixed); err == nil {
		t.Error("truncated values accepted")
	}
	if _, _, err := InsertValues(nil, []byte{0, 0}, []int{1}, fixed); err == nil {
		t.Error("position past the end accepted")
	}
	if _, _, err := InsertValues(nil, []byte{0, 1, 0, 0, 0, 0}, []int{1, 0}, fixed); err == nil {
		t.Error("unsorted positions accepted")
	}
	out, n, err := InsertValues([]byte("pre"), []byte{0, 1, 0, 0, 0, 1, 'x', 'T', 'A', 'I', 'L'}, []int{1}, fixed)
	if err != nil || n != 7 || string(out[:3]) != "pre" || len(out) != 3+2+5+20 {
		t.Errorf("InsertValues = %q, %d, %v", out, n, err)
	}
}

func TestRewriteBatch(t *testing.T) {
	prepared := map[string]*Prepared{"\x01": {Positions: []int{1}}}
	lookup := func(id []byte) *Prepared { return prepared[string(id)] }
	for _, v := range versions {
		in := &message.Batch{Type: primitive.BatchTypeLogged, Consistency: primitive.ConsistencyLevelQuorum,
			Children: []*message.BatchChild{
				{Query: "INSERT INTO t (id, v) VALUES (now(), ?)", Values: []*primitive.Value{val("q1")}},
				{Id: []byte{1}, Values: []*primitive.Value{val("p1"), val("p2")}},
				{Id: []byte{2}, Values: []*primitive.Value{val("other")}},
				{Query: "UPDATE t SET v = 'now()' WHERE id = 1"},
			}}
		n := 0
		gen := func() UUID { n++; x := fixed; x[15] = byte(n); return x }
		out, changed, err := RewriteBatch(encodeMsg(t, in, v), v, lookup, gen)
		if err != nil || !changed {
			t.Fatalf("v%d: %v %v", v, changed, err)
		}
		got := decodeMsg(t, primitive.OpCodeBatch, out, v).(*message.Batch)
		c := got.Children
		u1, u2 := fixed, fixed
		u1[15], u2[15] = 1, 2
		if c[0].Query != "INSERT INTO t (id, v) VALUES ("+u1.String()+", ?)" ||
			!reflect.DeepEqual(contents(c[0].Values), []string{"q1"}) {
			t.Errorf("v%d child 0: %q %q", v, c[0].Query, contents(c[0].Values))
		}
		if !reflect.DeepEqual(contents(c[1].Values), []string{"p1", string(u2[:]), "p2"}) {
			t.Errorf("v%d child 1: %q", v, contents(c[1].Values))
		}
		if !reflect.DeepEqual(contents(c[2].Values), []string{"other"}) || c[3].Query != in.Children[3].Query {
			t.Errorf("v%d untouched children changed", v)
		}
		if got.Consistency != primitive.ConsistencyLevelQuorum || got.Type != primitive.BatchTypeLogged {
			t.Errorf("v%d batch fields changed", v)
		}
		// Nothing to do: same bytes back.
		plain := encodeMsg(t, &message.Batch{Children: []*message.BatchChild{{Query: "INSERT INTO t (a) VALUES (1)"}}}, v)
		out, changed, err = RewriteBatch(plain, v, lookup, gen)
		if err != nil || changed || !bytes.Equal(out, plain) {
			t.Errorf("v%d: unchanged batch: %v %v", v, changed, err)
		}
	}
}

func varsResult(cols []string, pks []uint16, v primitive.ProtocolVersion, table func(i int) string) *message.PreparedResult {
	md := &message.VariablesMetadata{}
	if v >= primitive.ProtocolVersion4 {
		md.PkIndices = pks
	}
	for i, c := range cols {
		ty := datatype.DataType(datatype.Varchar)
		if c == "id" {
			ty = datatype.Timeuuid
		}
		md.Columns = append(md.Columns, &message.ColumnMetadata{Keyspace: "ks", Table: table(i), Name: c, Index: int32(i), Type: ty})
	}
	r := &message.PreparedResult{PreparedQueryId: []byte{0xab}, VariablesMetadata: md,
		ResultMetadata: &message.RowsMetadata{ColumnCount: 1, Columns: []*message.ColumnMetadata{
			{Keyspace: "ks", Table: "t", Name: "[applied]", Type: datatype.Boolean}}}}
	if v == primitive.ProtocolVersion5 {
		r.ResultMetadataId = []byte{0xcd}
	}
	return r
}

func names(cols []*message.ColumnMetadata) []string {
	var out []string
	for _, c := range cols {
		out = append(out, c.Name)
	}
	return out
}

func TestStripVariables(t *testing.T) {
	same := func(int) string { return "t" }
	mixed := func(i int) string { return []string{"t", "u", "t", "t"}[i] }
	cases := []struct {
		name      string
		cols      []string
		pks       []uint16
		table     func(int) string
		positions []int
		wantCols  []string
		wantPks   []uint16
	}{
		{"pk shifts", []string{"ts", "a", "pk", "b"}, []uint16{2}, same, []int{0}, []string{"a", "pk", "b"}, []uint16{1}},
		{"two removed", []string{"ts", "a", "ts2", "pk"}, []uint16{3, 1}, same, []int{0, 2}, []string{"a", "pk"}, []uint16{1, 0}},
		{"now in pk", []string{"id", "v"}, []uint16{0}, same, []int{0}, []string{"v"}, nil},
		{"all removed", []string{"id"}, []uint16{0}, same, []int{0}, nil, nil},
		{"per-column specs", []string{"a", "ts", "pk", "b"}, []uint16{2}, mixed, []int{1}, []string{"a", "pk", "b"}, []uint16{1}},
	}
	for _, tc := range cases {
		for _, v := range versions {
			in := varsResult(tc.cols, tc.pks, v, tc.table)
			out, removed, err := StripVariables(encodeMsg(t, in, v), v, tc.positions)
			if err != nil {
				t.Fatalf("%s v%d: %v", tc.name, v, err)
			}
			got := decodeMsg(t, primitive.OpCodeResult, out, v).(*message.PreparedResult)
			if n := names(got.VariablesMetadata.Columns); !reflect.DeepEqual(n, tc.wantCols) {
				t.Errorf("%s v%d: columns %v, want %v", tc.name, v, n, tc.wantCols)
			}
			wantPks := tc.wantPks
			if v < primitive.ProtocolVersion4 {
				wantPks = nil
			}
			if len(got.VariablesMetadata.PkIndices) != len(wantPks) ||
				(len(wantPks) > 0 && !reflect.DeepEqual(got.VariablesMetadata.PkIndices, wantPks)) {
				t.Errorf("%s v%d: pk %v, want %v", tc.name, v, got.VariablesMetadata.PkIndices, wantPks)
			}
			for i, c := range got.VariablesMetadata.Columns {
				if c.Table != tc.table(indexOf(tc.cols, c.Name)) || c.Keyspace != "ks" {
					t.Errorf("%s v%d: column %d table %s.%s", tc.name, v, i, c.Keyspace, c.Table)
				}
			}
			if !bytes.Equal(got.PreparedQueryId, in.PreparedQueryId) || !bytes.Equal(got.ResultMetadataId, in.ResultMetadataId) ||
				got.ResultMetadata.Columns[0].Name != "[applied]" {
				t.Errorf("%s v%d: other fields changed: %+v", tc.name, v, got)
			}
			var wantRemoved []string
			for _, p := range tc.positions {
				wantRemoved = append(wantRemoved, tc.cols[p])
			}
			if !reflect.DeepEqual(removed, wantRemoved) {
				t.Errorf("%s v%d: removed %v, want %v", tc.name, v, removed, wantRemoved)
			}
		}
	}
	bad := encodeMsg(t, varsResult([]string{"a"}, nil, 4, same), 4)
	if _, _, err := StripVariables(bad, 4, []int{1}); err == nil {
		t.Error("position past the variables accepted")
	}
	if _, _, err := StripVariables(bad[:len(bad)-30], 4, []int{0}); err == nil {
		t.Error("truncated body accepted")
	}
}

func indexOf(s []string, x string) int {
	for i, e := range s {
		if e == x {
			return i
		}
	}
	return -1
}
