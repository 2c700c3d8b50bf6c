package digest

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/datastax/go-cassandra-native-protocol/message"
	"github.com/datastax/go-cassandra-native-protocol/primitive"
)

var versions = []primitive.ProtocolVersion{primitive.ProtocolVersion3, primitive.ProtocolVersion4, primitive.ProtocolVersion5}

func md(t testing.TB, withCols bool) *message.RowsMetadata {
	m := &message.RowsMetadata{ColumnCount: 7}
	if withCols {
		m.Columns = columns(t, "ks", "users")
	}
	return m
}

func mustCompare(t *testing.T, a, b []byte) Result {
	t.Helper()
	r, err := Compare(a, b, "fallback_ks", "fallback_t")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestOrderInsensitive(t *testing.T) {
	for _, v := range versions {
		a := encode(t, v, md(t, true), message.RowSet{row(1, "x"), row(2, "y"), row(3, "z")})
		b := encode(t, v, md(t, true), message.RowSet{row(3, "z"), row(1, "x"), row(2, "y")})
		r := mustCompare(t, a, b)
		if !r.Match || r.Primary.Rows != 3 || r.Primary.Columns != 7 {
			t.Errorf("v%d: reordered rows: %+v", v, r)
		}
		if r.Keyspace != "ks" || r.Table != "users" {
			t.Errorf("v%d: table %s.%s, want ks.users from metadata", v, r.Keyspace, r.Table)
		}
	}
}

func TestValueDiffers(t *testing.T) {
	for _, v := range versions {
		a := encode(t, v, md(t, true), message.RowSet{row(1, "x"), row(2, "y")})
		b := encode(t, v, md(t, true), message.RowSet{row(1, "x"), row(2, "Y")})
		if r := mustCompare(t, a, b); r.Match {
			t.Errorf("v%d: one differing value matched", v)
		}
		// null vs empty is a difference.
		ra, rb := row(1, "x"), row(1, "x")
		ra[2], rb[2] = nil, []byte{}
		if r := mustCompare(t, encode(t, v, md(t, true), message.RowSet{ra}), encode(t, v, md(t, true), message.RowSet{rb})); r.Match {
			t.Errorf("v%d: null matched empty", v)
		}
		// Shifting a byte across a cell boundary is a difference.
		ra, rb = row(1, "xy"), row(1, "x")
		rb[3] = []byte("y")
		ra[3] = nil
		if r := mustCompare(t, encode(t, v, md(t, true), message.RowSet{ra}), encode(t, v, md(t, true), message.RowSet{rb})); r.Match {
			t.Errorf("v%d: moved byte matched", v)
		}
	}
}

func TestRowCountDiffers(t *testing.T) {
	a := encode(t, 4, md(t, true), message.RowSet{row(1, "x"), row(2, "y")})
	b := encode(t, 4, md(t, true), message.RowSet{row(1, "x")})
	if r := mustCompare(t, a, b); r.Match || r.Secondary.Rows != 1 {
		t.Errorf("row count: %+v", r)
	}
	// A duplicated row is not the same multiset as two distinct rows.
	c := encode(t, 4, md(t, true), message.RowSet{row(1, "x"), row(1, "x")})
	if r := mustCompare(t, a, c); r.Match {
		t.Error("duplicate row matched")
	}
	empty := encode(t, 4, md(t, true), nil)
	if r := mustCompare(t, empty, empty); !r.Match || r.Primary.Rows != 0 {
		t.Errorf("empty: %+v", r)
	}
}

func TestMetadataDifferencesIgnored(t *testing.T) {
	rows := message.RowSet{row(1, "x"), row(2, "y")}
	for _, v := range versions {
		full := encode(t, v, md(t, true), rows)
		noMeta := encode(t, v, md(t, false), rows)
		paged := md(t, true)
		paged.PagingState = []byte("opaque-state-from-this-cluster")
		withPaging := encode(t, v, paged, rows)
		perCol := md(t, true)
		perCol.Columns[6].Table = "other" // no global table spec
		perColumnSpecs := encode(t, v, perCol, rows)

		bodies := [][]byte{noMeta, withPaging, perColumnSpecs}
		if v == primitive.ProtocolVersion5 {
			changed := md(t, true)
			changed.NewResultMetadataId = []byte{9, 9, 9}
			bodies = append(bodies, encode(t, v, changed, rows))
		}
		for i, b := range bodies {
			r := mustCompare(t, full, b)
			if !r.Match {
				t.Errorf("v%d body %d: metadata difference counted as mismatch: %+v", v, i, r)
			}
		}
		r := mustCompare(t, noMeta, noMeta)
		if r.Keyspace != "fallback_ks" || r.Table != "fallback_t" {
			t.Errorf("v%d: no metadata should use the caller's table, got %s.%s", v, r.Keyspace, r.Table)
		}
		d, err := Rows(withPaging)
		if err != nil || !d.HasMorePages {
			t.Errorf("v%d: paged body: %+v %v", v, d, err)
		}
	}
}

func TestPagedBodies(t *testing.T) {
	// Two pages of the same query compared page by page: each page matches
	// its counterpart, and differs from the other page.
	var p1, p2 message.RowSet
	for i := byte(0); i < 10; i++ {
		p1 = append(p1, row(i, "p1"))
		p2 = append(p2, row(i+10, "p2"))
	}
	m1 := md(t, true)
	m1.PagingState = []byte("page2")
	m1s := md(t, true)
	m1s.PagingState = []byte("different-state-on-secondary")
	prim1, sec1 := encode(t, 4, m1, p1), encode(t, 4, m1s, p1)
	prim2, sec2 := encode(t, 4, md(t, true), p2), encode(t, 4, md(t, false), p2)
	if !mustCompare(t, prim1, sec1).Match || !mustCompare(t, prim2, sec2).Match {
		t.Error("matching pages differ")
	}
	if mustCompare(t, prim1, sec2).Match {
		t.Error("different pages match")
	}
}

func TestErrors(t *testing.T) {
	good := encode(t, 4, md(t, true), message.RowSet{row(1, "x")})
	void := binary.BigEndian.AppendUint32(nil, 1)
	if _, err := Rows(void); !errors.Is(err, ErrNotRows) {
		t.Errorf("void result: %v", err)
	}
	for cut := 0; cut < len(good); cut++ {
		if _, err := Rows(good[:cut]); err == nil {
			t.Fatalf("truncated at %d of %d: no error", cut, len(good))
		}
	}
	if _, err := Rows(append(good, 0)); err == nil {
		t.Error("trailing byte accepted")
	}
	if _, err := Compare(good, void, "", ""); err == nil {
		t.Error("Compare accepted a non-rows secondary")
	}
}

func TestStripEnvelope(t *testing.T) {
	body := encode(t, 4, md(t, true), message.RowSet{row(1, "x")})
	var env []byte
	env = append(env, make([]byte, 16)...)            // tracing id
	env = append(env, 0, 1, 0, 4, 'w', 'a', 'r', 'n') // warnings: ["warn"]
	env = append(env, 0, 1, 0, 1, 'k', 0, 0, 0, 1, 'v')
	env = append(env, body...)
	got, err := StripEnvelope(env, HeaderFlagTracing|HeaderFlagWarning|HeaderFlagCustomPayload)
	if err != nil || string(got) != string(body) {
		t.Fatalf("StripEnvelope = %v, %v", len(got), err)
	}
	if got, _ := StripEnvelope(body, 0); string(got) != string(body) {
		t.Error("no flags changed body")
	}
	if _, err := StripEnvelope(env[:20], HeaderFlagTracing|HeaderFlagWarning); err == nil {
		t.Error("short envelope accepted")
	}
}

func TestDigestDoesNotAllocate(t *testing.T) {
	body := encode(t, 4, md(t, false), message.RowSet{row(1, "x"), row(2, "y")})
	if n := testing.AllocsPerRun(100, func() { _, _ = Rows(body) }); n != 0 {
		t.Errorf("Rows allocates %v times", n)
	}
}

func BenchmarkRows100(b *testing.B) {
	var rows message.RowSet
	for i := byte(0); i < 100; i++ {
		rows = append(rows, row(i, "some text value of moderate length"))
	}
	body := encode(b, 4, md(b, true), rows)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Rows(body); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzRows: the parser never panics, and a body always matches itself.
func FuzzRows(f *testing.F) {
	f.Add(encode(f, 4, md(f, true), message.RowSet{row(1, "x"), row(2, "y")}))
	f.Add(encode(f, 5, md(f, false), message.RowSet{row(1, "x")}))
	paged := md(f, true)
	paged.PagingState = []byte("p")
	paged.NewResultMetadataId = []byte{1}
	f.Add(encode(f, 5, paged, nil))
	f.Add([]byte{0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 5})
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := Rows(body)
		if err != nil {
			return
		}
		if d.Rows < 0 || d.Columns < 0 {
			t.Fatalf("negative counts: %+v", d)
		}
		r, err := Compare(body, body, "", "")
		if err != nil || !r.Match {
			t.Fatalf("body does not match itself: %+v %v", r, err)
		}
	})
}
