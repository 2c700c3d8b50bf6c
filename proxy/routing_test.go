package proxy_test

import (
	"testing"
)

func TestWritesGoToBothReadsToPrimary(t *testing.T) {
	e := newEnv(t, envOpts{})
	s := e.session(t, nil)
	if err := s.Query("INSERT INTO ks.t (k, v) VALUES ('a', 'b')").Exec(); err != nil {
		t.Fatal(err)
	}
	if o, tg := len(e.origin.Queries("INSERT INTO ks.t")), len(e.target.Queries("INSERT INTO ks.t")); o != 1 || tg != 1 {
		t.Fatalf("insert seen origin=%d target=%d, want 1/1", o, tg)
	}
	var cluster, value string
	if err := s.Query("SELECT cluster, value FROM ks.t WHERE k = 'a'").Scan(&cluster, &value); err != nil {
		t.Fatal(err)
	}
	if cluster != "origin" {
		t.Fatalf("read answered by %q, want origin", cluster)
	}
	if n := len(e.target.Queries("FROM ks.t")); n != 0 {
		t.Fatalf("target saw %d reads in PRIMARY_ONLY mode", n)
	}
}
