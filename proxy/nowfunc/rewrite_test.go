package nowfunc

import (
	"reflect"
	"strings"
	"testing"
)

var fixed = UUID{0xc2, 0x32, 0xab, 0x00, 0x94, 0x14, 0x11, 0xec, 0xb3, 0xc8, 0x9f, 0x6b, 0xde, 0xce, 0xd8, 0x46}

const lit = "c232ab00-9414-11ec-b3c8-9f6bdeced846"

func TestContainsAndRewriteLiteral(t *testing.T) {
	cases := []struct{ in, want string }{
		{"INSERT INTO ks.t (id, v) VALUES (now(), 'x')", "INSERT INTO ks.t (id, v) VALUES (" + lit + ", 'x')"},
		{"insert into t (id) values (NOW ( ))", "insert into t (id) values (" + lit + ")"},
		{"insert into t (id) values (Now(\n\t))", "insert into t (id) values (" + lit + ")"},
		{"UPDATE t SET v = 1 WHERE id = now()", "UPDATE t SET v = 1 WHERE id = " + lit},
		{"DELETE FROM t WHERE id = now() IF EXISTS", "DELETE FROM t WHERE id = " + lit + " IF EXISTS"},
		{"INSERT INTO t (id, v) VALUES (now(), now())", "INSERT INTO t (id, v) VALUES (" + lit + ", " + lit + ")"},
		{"INSERT INTO t (id) VALUES (system.now())", "INSERT INTO t (id) VALUES (" + lit + ")"},
		{`INSERT INTO t (id) VALUES ("system".now())`, "INSERT INTO t (id) VALUES (" + lit + ")"},
		{"INSERT INTO t (id) VALUES (currentTimeUUID())", "INSERT INTO t (id) VALUES (" + lit + ")"},
		{"  /* lead */ -- line\n INSERT INTO t (id, ts) VALUES (?, toTimestamp(now()))",
			"  /* lead */ -- line\n INSERT INTO t (id, ts) VALUES (?, toTimestamp(" + lit + "))"},
		{"INSERT INTO t (id) VALUES (now/*a*/(/*b*/))", "INSERT INTO t (id) VALUES (" + lit + ")"},
		{"UPDATE t SET u = {a:now(), b:'now()'} WHERE k = 1", "UPDATE t SET u = {a:" + lit + ", b:'now()'} WHERE k = 1"},
		{"INSERT INTO t (id, v) VALUES (now(), 'it''s now()') -- now()",
			"INSERT INTO t (id, v) VALUES (" + lit + ", 'it''s now()') -- now()"},
		{"BEGIN BATCH INSERT INTO t (id) VALUES (now()); UPDATE t SET v = 'now()' WHERE id = now(); APPLY BATCH",
			"BEGIN BATCH INSERT INTO t (id) VALUES (" + lit + "); UPDATE t SET v = 'now()' WHERE id = " + lit + "; APPLY BATCH"},
		{"begin unlogged batch delete from t where id = now() apply batch",
			"begin unlogged batch delete from t where id = " + lit + " apply batch"},
	}
	for _, c := range cases {
		if !Contains(c.in) {
			t.Errorf("Contains(%q) = false", c.in)
		}
		got, n := RewriteLiteral(c.in, fixed)
		if got != c.want || n == 0 {
			t.Errorf("RewriteLiteral(%q)\n got %q (%d)\nwant %q", c.in, got, n, c.want)
		}
	}
}

func TestUntouched(t *testing.T) {
	for _, q := range []string{
		"",
		"SELECT now() FROM system.local",
		"select * from t where id = now()",
		"INSERT INTO t (id, v) VALUES (1, 'now()')",
		"INSERT INTO t (id, v) VALUES (1, 'it''s now()')",
		"INSERT INTO t (id, v) VALUES (1, $$now()$$)",
		`INSERT INTO t (id, "now") VALUES (1, 2)`,
		`INSERT INTO t (id, "now()") VALUES (1, 2)`,
		`INSERT INTO t (id, "a""now()") VALUES (1, 2)`,
		"INSERT INTO t (id, v) VALUES (1, 2) -- now()",
		"INSERT INTO t (id, v) VALUES (1, 2) // now()",
		"INSERT INTO t (id, v) VALUES (1, /* now() */ 2)",
		"INSERT INTO t (id, v) VALUES (1, myks.now())",
		"INSERT INTO t (id, nowx) VALUES (1, nowfn())",
		"INSERT INTO t (id, v) VALUES (1, snow())",
		"INSERT INTO t (id, v) VALUES (1, now(1))",
		"UPDATE t SET now = 3 WHERE k = 1",
		"UPDATE t SET v = 'unterminated now()",
		"UPDATE t SET v = 1 /* unterminated now()",
		"CREATE TABLE now (a int PRIMARY KEY)",
		"CREATE FUNCTION f() RETURNS NULL ON NULL INPUT RETURNS timeuuid LANGUAGE java AS 'return now();'",
		"TRUNCATE now",
	} {
		if Contains(q) {
			t.Errorf("Contains(%q) = true", q)
		}
		if got, n := RewriteLiteral(q, fixed); got != q || n != 0 {
			t.Errorf("RewriteLiteral(%q) = %q, %d", q, got, n)
		}
		if _, ok := RewriteForPrepare(q); ok {
			t.Errorf("RewriteForPrepare(%q) rewrote", q)
		}
	}
}

func TestRewriteForPrepare(t *testing.T) {
	cases := []struct {
		in    string
		want  string
		pos   []int
		names []string
	}{
		{"INSERT INTO t (id, v) VALUES (now(), ?)", "INSERT INTO t (id, v) VALUES (?, ?)", []int{0}, nil},
		{"INSERT INTO t (a, id, v) VALUES (?, now(), ?)", "INSERT INTO t (a, id, v) VALUES (?, ?, ?)", []int{1}, nil},
		{"INSERT INTO t (id) VALUES (now())", "INSERT INTO t (id) VALUES (?)", []int{0}, nil},
		{"INSERT INTO t (id, ts) VALUES (now(), toTimestamp(now())) USING TTL ?",
			"INSERT INTO t (id, ts) VALUES (?, toTimestamp((timeuuid)?)) USING TTL ?", []int{0, 1}, nil},
		{"INSERT INTO t (id, v) VALUES (now(), :v)", "INSERT INTO t (id, v) VALUES (:zdm_now_0, :v)", []int{0}, []string{"zdm_now_0"}},
		{"UPDATE t SET v = :v, w = now() WHERE id = :id", "UPDATE t SET v = :v, w = :zdm_now_0 WHERE id = :id", []int{1}, []string{"zdm_now_0"}},
		{"UPDATE t USING TTL ? SET v = ? WHERE id = now() AND c = ?", "UPDATE t USING TTL ? SET v = ? WHERE id = ? AND c = ?", []int{2}, nil},
		{"BEGIN BATCH INSERT INTO t (id, v) VALUES (now(), ?); UPDATE t SET v = ? WHERE id = now(); APPLY BATCH",
			"BEGIN BATCH INSERT INTO t (id, v) VALUES (?, ?); UPDATE t SET v = ? WHERE id = ?; APPLY BATCH", []int{0, 3}, nil},
		{"INSERT INTO t (id, v) VALUES (now(), '?')", "INSERT INTO t (id, v) VALUES (?, '?')", []int{0}, nil},
	}
	for _, c := range cases {
		p, ok := RewriteForPrepare(c.in)
		if !ok || p.Query != c.want || !reflect.DeepEqual(p.Positions, c.pos) || !reflect.DeepEqual(p.Names, c.names) ||
			p.Named != (c.names != nil) {
			t.Errorf("RewriteForPrepare(%q)\n got %+v, %v\nwant %q %v %v", c.in, p, ok, c.want, c.pos, c.names)
		}
	}
	if _, ok := RewriteForPrepare("INSERT INTO t (a, b, c) VALUES (?, :b, now())"); ok {
		t.Error("mixed markers rewritten")
	}
}

func TestContainsDoesNotAllocate(t *testing.T) {
	q := "INSERT INTO ks.tbl (id, a, b, c) VALUES (?, ?, 'text with now() inside', toTimestamp(now())) USING TTL 60"
	if n := testing.AllocsPerRun(100, func() { Contains(q) }); n != 0 {
		t.Errorf("Contains allocates %v times", n)
	}
}

func BenchmarkContainsNoNow(b *testing.B) {
	q := "INSERT INTO ks.tbl (id, a, b, c) VALUES (?, ?, ?, ?) USING TTL 60"
	for b.Loop() {
		Contains(q)
	}
}

func BenchmarkContainsWithNow(b *testing.B) {
	q := "INSERT INTO ks.tbl (id, a, b, c) VALUES (?, ?, 'x', toTimestamp(now())) USING TTL 60"
	b.ReportAllocs()
	for b.Loop() {
		Contains(q)
	}
}

// FuzzRewrite: the rewriter never panics, leaves text without now() alone,
// and a rewritten statement no longer contains now().
func FuzzRewrite(f *testing.F) {
	for _, s := range []string{"INSERT INTO t (id) VALUES (now())", "UPDATE t SET a = 'now()' WHERE b = now( )",
		"BEGIN BATCH DELETE FROM t WHERE id = system.now() APPLY BATCH", "INSERT INTO t (a) VALUES (:x) /* now() */"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, n := RewriteLiteral(q, fixed)
		if n == 0 {
			if got != q {
				t.Fatalf("changed without a call: %q -> %q", q, got)
			}
			return
		}
		if Contains(got) {
			t.Fatalf("%q still contains now() after rewrite: %q", q, got)
		}
		if strings.Count(got, lit) < n {
			t.Fatalf("%d calls but fewer literals in %q", n, got)
		}
		if p, ok := RewriteForPrepare(q); ok && len(p.Positions) != n {
			t.Fatalf("prepare found %d calls, literal %d: %q", len(p.Positions), n, q)
		}
	})
}
