package classify

import "testing"

func TestQuery(t *testing.T) {
	cases := []struct {
		q    string
		want Statement
	}{
		{"SELECT * FROM ks.t WHERE k = 1", Statement{Kind: KindSelect, Keyspace: "ks", Table: "t"}},
		{"  /* hi */ select a, \"from\" FROM \"MyKs\".\"Tab\"", Statement{Kind: KindSelect, Keyspace: "MyKs", Table: "Tab"}},
		{"-- c\nSELECT count(*) FROM system.local", Statement{Kind: KindSelect, Keyspace: "system", Table: "local"}},
		{"SELECT 'from x' AS y FROM Peers", Statement{Kind: KindSelect, Table: "peers"}},
		{"insert into t (a) values (1)", Statement{Kind: KindInsert}},
		{"UPDATE t SET a=1", Statement{Kind: KindUpdate}},
		{"DELETE FROM t WHERE a=1", Statement{Kind: KindDelete}},
		{"BEGIN BATCH INSERT INTO t (a) VALUES (1); APPLY BATCH", Statement{Kind: KindBatch}},
		{"USE \"Ks\"", Statement{Kind: KindUse, Keyspace: "Ks"}},
		{"use ks;", Statement{Kind: KindUse, Keyspace: "ks"}},
		{"CREATE TABLE x (a int PRIMARY KEY)", Statement{Kind: KindOther}},
		{"", Statement{Kind: KindOther}},
	}
	for _, c := range cases {
		if got := Query([]byte(c.q)); got != c.want {
			t.Errorf("Query(%q) = %+v, want %+v", c.q, got, c.want)
		}
	}
}

func TestSelectColumns(t *testing.T) {
	cols, star, ok := SelectColumns([]byte("SELECT peer, \"Rpc\" , tokens FROM system.peers"))
	if !ok || star || len(cols) != 3 || cols[1] != "Rpc" {
		t.Fatalf("got %v %v %v", cols, star, ok)
	}
	if _, star, ok := SelectColumns([]byte("select * from system.local")); !ok || !star {
		t.Fatal("star not recognised")
	}
	if _, _, ok := SelectColumns([]byte("select count(*) from system.local")); ok {
		t.Fatal("function accepted as a column")
	}
}

// FuzzClassify checks the classifier never panics and is consistent with
// the request parser.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{"SELECT * FROM ks.t", "USE \"a\"\"b\"", "/* x", "SELECT '", "select $$ from", "INSERT INTO", "\"", "SELECT a FROM \"x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, q []byte) {
		st := Query(q)
		if st.Kind != KindSelect && st.Table != "" {
			t.Fatalf("table set for non-select: %+v", st)
		}
		SelectColumns(q)
		body := append([]byte{byte(len(q) >> 24), byte(len(q) >> 16), byte(len(q) >> 8), byte(len(q))}, q...)
		got, err := Request(0x07, body)
		if err != nil || got != st {
			t.Fatalf("Request and Query disagree: %+v vs %+v (%v)", got, st, err)
		}
		_, _ = Request(0x0A, q)
		_, _ = Request(0x07, q)
	})
}

func TestHasPagingState(t *testing.T) {
	q := []byte{0, 0, 0, 1, 'x', 0, 1}
	if HasPagingState(0x07, 4, append(q, 0x04)) || !HasPagingState(0x07, 4, append(q, 0x0C)) {
		t.Fatal("v4 QUERY flags misread")
	}
	if !HasPagingState(0x07, 5, append(q, 0, 0, 0, 0x08)) || HasPagingState(0x07, 5, append(q, 0x08)) {
		t.Fatal("v5 QUERY flags misread")
	}
	e := []byte{0, 2, 'i', 'd', 0, 1, 'm', 0, 1, 0, 0, 0, 0x08}
	if !HasPagingState(0x0A, 5, e) || HasPagingState(0x0A, 5, e[:10]) {
		t.Fatal("v5 EXECUTE flags misread")
	}
}
