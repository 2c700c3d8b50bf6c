package mutation

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/datastax/go-cassandra-native-protocol/message"
	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy/frame"
)

// The go-cassandra-native-protocol codecs build the inputs and decode the
// outputs, so the byte surgery is checked against an independent codec.

var versions = cqltest.BodyVersions

func encode(t *testing.T, m message.Message, v primitive.ProtocolVersion) []byte {
	t.Helper()
	return cqltest.EncodeBody(t, m, v)
}

func decode(t *testing.T, op primitive.OpCode, b []byte, v primitive.ProtocolVersion) message.Message {
	t.Helper()
	return cqltest.DecodeBody(t, op, b, v)
}

func i64(v int64) *int64                                          { return &v }
func i32(v int32) *int32                                          { return &v }
func cl(c primitive.ConsistencyLevel) *primitive.ConsistencyLevel { return &c }

// optionSets are QueryOptions with and without the fields around the
// timestamp (values, page size, paging state, serial consistency, v5 keyspace
// and now_in_seconds).
func optionSets(v primitive.ProtocolVersion) []*message.QueryOptions {
	sets := []*message.QueryOptions{
		{Consistency: primitive.ConsistencyLevelQuorum},
		{Consistency: primitive.ConsistencyLevelLocalQuorum, PositionalValues: []*primitive.Value{primitive.NewValue([]byte("a")), primitive.NewValue(nil)}},
		{Consistency: primitive.ConsistencyLevelOne, PositionalValues: []*primitive.Value{primitive.NewValue([]byte{})},
			PageSize: 50, PagingState: []byte("page"), SerialConsistency: cl(primitive.ConsistencyLevelLocalSerial), SkipMetadata: true},
		{Consistency: primitive.ConsistencyLevelAll, NamedValues: map[string]*primitive.Value{"k": primitive.NewValue([]byte{1})},
			SerialConsistency: cl(primitive.ConsistencyLevelSerial)},
	}
	if v >= primitive.ProtocolVersion4 {
		sets = append(sets, &message.QueryOptions{Consistency: primitive.ConsistencyLevelTwo,
			PositionalValues: []*primitive.Value{{Type: primitive.ValueTypeUnset}, primitive.NewValue([]byte("x"))}})
	}
	if v >= primitive.ProtocolVersion5 {
		sets = append(sets, &message.QueryOptions{Consistency: primitive.ConsistencyLevelLocalOne, Keyspace: "ks",
			NowInSeconds: i32(1234), SerialConsistency: cl(primitive.ConsistencyLevelSerial), PageSize: 10})
	}
	return sets
}

func optionsOf(m message.Message) *message.QueryOptions {
	switch m := m.(type) {
	case *message.Query:
		return m.Options
	case *message.Execute:
		return m.Options
	}
	return nil
}

func TestTimestampOnQueryAndExecute(t *testing.T) {
	for _, v := range versions {
		for i, o := range optionSets(v) {
			msgs := []message.Message{
				&message.Query{Query: "INSERT INTO ks.t (k) VALUES (?)", Options: o},
				&message.Execute{QueryId: []byte{1, 2, 3}, ResultMetadataId: []byte{4}, Options: o},
			}
			if v < primitive.ProtocolVersion5 {
				msgs[1].(*message.Execute).ResultMetadataId = nil
			}
			for _, m := range msgs {
				op := byte(m.GetOpCode())
				in := encode(t, m, v)
				l, err := Locate(op, byte(v), in)
				if err != nil {
					t.Fatalf("v%d %T #%d: %v", v, m, i, err)
				}
				if l.HasTimestamp() {
					t.Fatalf("v%d %T #%d: a timestamp where none was set", v, m, i)
				}
				if got := l.Consistency(in); got != uint16(o.Consistency) {
					t.Fatalf("v%d %T #%d: consistency %d, want %d", v, m, i, got, o.Consistency)
				}
				out := WithTimestamp(nil, in, l, 1_700_000_000_123_456)
				dec := decode(t, m.GetOpCode(), out, v)
				want := *o
				want.DefaultTimestamp = i64(1_700_000_000_123_456)
				if got := optionsOf(dec); !reflect.DeepEqual(got, &want) {
					t.Fatalf("v%d %T #%d: after WithTimestamp\n got %v\nwant %v", v, m, i, got, &want)
				}
				// Now it has one: Locate finds it, and nothing changes.
				l2, err := Locate(op, byte(v), out)
				if err != nil || !l2.HasTimestamp() {
					t.Fatalf("v%d %T #%d: timestamp not found after insertion: %v", v, m, i, err)
				}
				if ts, ok := l2.Timestamp(out); !ok || ts != 1_700_000_000_123_456 {
					t.Fatalf("v%d %T #%d: timestamp %d %v", v, m, i, ts, ok)
				}
				// A driver's own timestamp is found where it put it.
				o2 := *o
				o2.DefaultTimestamp = i64(42)
				setOptions(m, &o2)
				own := encode(t, m, v)
				setOptions(m, o)
				l3, err := Locate(op, byte(v), own)
				if ts, ok := l3.Timestamp(own); err != nil || !ok || ts != 42 {
					t.Fatalf("v%d %T #%d: driver timestamp: %d %v %v", v, m, i, ts, ok, err)
				}
				// SetConsistency changes only the consistency.
				cp := append([]byte{}, own...)
				SetConsistency(cp, l3, uint16(primitive.ConsistencyLevelLocalOne))
				o3 := o2
				o3.Consistency = primitive.ConsistencyLevelLocalOne
				if got := optionsOf(decode(t, m.GetOpCode(), cp, v)); !reflect.DeepEqual(got, &o3) {
					t.Fatalf("v%d %T #%d: SetConsistency\n got %v\nwant %v", v, m, i, got, &o3)
				}
			}
		}
	}
}

func setOptions(m message.Message, o *message.QueryOptions) {
	switch m := m.(type) {
	case *message.Query:
		m.Options = o
	case *message.Execute:
		m.Options = o
	}
}

func batches(v primitive.ProtocolVersion) []*message.Batch {
	children := []*message.BatchChild{
		{Query: "INSERT INTO ks.t (k, v) VALUES (?, ?)", Values: []*primitive.Value{primitive.NewValue([]byte{1}), primitive.NewValue(nil)}},
		{Id: []byte{7, 7}, Values: []*primitive.Value{primitive.NewValue([]byte("v"))}},
		{Query: "DELETE FROM ks.t WHERE k = 2", Values: []*primitive.Value{}},
	}
	out := []*message.Batch{
		{Type: primitive.BatchTypeLogged, Children: children, Consistency: primitive.ConsistencyLevelQuorum},
		{Type: primitive.BatchTypeUnlogged, Children: children, Consistency: primitive.ConsistencyLevelOne, SerialConsistency: cl(primitive.ConsistencyLevelLocalSerial)},
		{Type: primitive.BatchTypeCounter, Children: children[:1], Consistency: primitive.ConsistencyLevelLocalQuorum},
	}
	if v >= primitive.ProtocolVersion5 {
		out = append(out, &message.Batch{Type: primitive.BatchTypeLogged, Children: children, Consistency: primitive.ConsistencyLevelTwo,
			SerialConsistency: cl(primitive.ConsistencyLevelSerial), Keyspace: "ks", NowInSeconds: i32(99)})
	}
	return out
}

func TestTimestampOnBatch(t *testing.T) {
	for _, v := range versions {
		for i, b := range batches(v) {
			in := encode(t, b, v)
			l, err := Locate(frame.OpBatch, byte(v), in)
			if err != nil || l.HasTimestamp() {
				t.Fatalf("v%d batch #%d: %v has=%v", v, i, err, l.HasTimestamp())
			}
			out := WithTimestamp(nil, in, l, 77)
			got := decode(t, primitive.OpCodeBatch, out, v).(*message.Batch)
			want := *b
			want.DefaultTimestamp = i64(77)
			if !reflect.DeepEqual(got, &want) {
				t.Fatalf("v%d batch #%d:\n got %v\nwant %v", v, i, got, &want)
			}
			own := *b
			own.DefaultTimestamp = i64(-5)
			enc := encode(t, &own, v)
			l2, err := Locate(frame.OpBatch, byte(v), enc)
			if ts, ok := l2.Timestamp(enc); err != nil || !ok || ts != -5 {
				t.Fatalf("v%d batch #%d: driver timestamp %d %v %v", v, i, ts, ok, err)
			}
			stmts, typ, err := Statements(frame.OpBatch, byte(v), enc)
			if err != nil || typ != int(b.Type) || len(stmts) != len(b.Children) {
				t.Fatalf("v%d batch #%d: statements %v typ %d err %v", v, i, stmts, typ, err)
			}
			for k, ch := range b.Children {
				if string(stmts[k].Query) != ch.Query || !bytes.Equal(stmts[k].ID, ch.Id) || len(stmts[k].Values) != len(ch.Values) {
					t.Fatalf("v%d batch #%d child %d: %+v", v, i, k, stmts[k])
				}
			}
		}
	}
}

func TestStatementsValues(t *testing.T) {
	o := &message.QueryOptions{Consistency: primitive.ConsistencyLevelOne, PositionalValues: []*primitive.Value{
		primitive.NewValue([]byte("a")), primitive.NewValue(nil), primitive.NewValue([]byte{}), {Type: primitive.ValueTypeUnset}}}
	in := encode(t, &message.Query{Query: "UPDATE ks.t SET a=?, b=?, c=? WHERE k=?", Options: o}, primitive.ProtocolVersion4)
	st, typ, err := Statements(frame.OpQuery, 4, in)
	if err != nil || typ != -1 || len(st) != 1 {
		t.Fatal(st, typ, err)
	}
	want := []Value{{B: []byte("a")}, {}, {B: []byte{}}, {Unset: true}}
	if !reflect.DeepEqual(st[0].Values, want) {
		t.Fatalf("values %+v, want %+v", st[0].Values, want)
	}
	named := encode(t, &message.Execute{QueryId: []byte{1}, Options: &message.QueryOptions{Consistency: primitive.ConsistencyLevelOne,
		NamedValues: map[string]*primitive.Value{"k": primitive.NewValue([]byte{9})}}}, primitive.ProtocolVersion4)
	st, _, err = Statements(frame.OpExecute, 4, named)
	if err != nil || !reflect.DeepEqual(st[0].Names, []string{"k"}) || !bytes.Equal(st[0].ID, []byte{1}) {
		t.Fatalf("named: %+v %v", st, err)
	}
}

func TestMalformedBodiesAreRefused(t *testing.T) {
	in := encode(t, &message.Query{Query: "INSERT INTO ks.t (k) VALUES (1)", Options: &message.QueryOptions{
		Consistency: primitive.ConsistencyLevelOne, PageSize: 5, SerialConsistency: cl(primitive.ConsistencyLevelSerial)}}, primitive.ProtocolVersion4)
	for k := 0; k < len(in); k++ {
		if _, err := Locate(frame.OpQuery, 4, in[:k]); err == nil {
			t.Fatalf("a QUERY cut at %d of %d bytes parsed", k, len(in))
		}
	}
	b := encode(t, batches(4)[1], primitive.ProtocolVersion4)
	for k := 0; k < len(b); k++ {
		if _, err := Locate(frame.OpBatch, 4, b[:k]); err == nil {
			t.Fatalf("a BATCH cut at %d of %d bytes parsed", k, len(b))
		}
	}
}

func TestLocateDoesNotAllocate(t *testing.T) {
	in := encode(t, &message.Execute{QueryId: []byte{1, 2}, Options: &message.QueryOptions{Consistency: primitive.ConsistencyLevelOne,
		PositionalValues: []*primitive.Value{primitive.NewValue([]byte("a"))}, DefaultTimestamp: i64(1)}}, primitive.ProtocolVersion4)
	if n := testing.AllocsPerRun(100, func() { _, _ = Locate(frame.OpExecute, 4, in) }); n != 0 {
		t.Fatalf("Locate allocates %v times", n)
	}
}
