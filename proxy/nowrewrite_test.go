package proxy_test

import (
	"bytes"
	"strings"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/internal/cqltest"
)

func executes(rs []cqltest.Received, substr string) [][][]byte {
	var out [][][]byte
	for _, r := range rs {
		if r.Opcode == primitive.OpCodeExecute && strings.Contains(r.Query, substr) {
			out = append(out, r.Values)
		}
	}
	return out
}

func batches(rs []cqltest.Received) []cqltest.Received {
	var out []cqltest.Received
	for _, r := range rs {
		if r.Opcode == primitive.OpCodeBatch {
			out = append(out, r)
		}
	}
	return out
}

func TestNowReplacedIdenticallyOnBothClusters(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_REPLACE_CQL_FUNCTIONS=true"}})
	s := e.session(t, nil)

	// Simple statement: a literal timeuuid, the same on both clusters.
	if err := s.Query("INSERT INTO ks.t (k, ts) VALUES ('simple', now())").Exec(); err != nil {
		t.Fatal(err)
	}
	oq, tq := e.origin.Queries("'simple'"), e.target.Queries("'simple'")
	if len(oq) != 1 || len(tq) != 1 || oq[0] != tq[0] || strings.Contains(strings.ToLower(oq[0]), "now()") {
		t.Fatalf("simple: origin %q target %q", oq, tq)
	}

	// Prepared: the client binds one value; both clusters get two, the
	// second being the same 16-byte timeuuid.
	for i := 0; i < 3; i++ {
		if err := s.Query("UPDATE ks.t SET ts = now() WHERE k = ?", "prep").Exec(); err != nil {
			t.Fatal(err)
		}
	}
	ov, tv := executes(e.origin.Received(), "UPDATE ks.t"), executes(e.target.Received(), "UPDATE ks.t")
	if len(ov) != 3 || len(tv) != 3 {
		t.Fatalf("want 3 EXECUTEs on each cluster, got %d and %d", len(ov), len(tv))
	}
	seen := map[string]bool{}
	for i := range ov {
		if len(ov[i]) != 2 || len(tv[i]) != 2 || len(ov[i][0]) != 16 || !bytes.Equal(ov[i][0], tv[i][0]) || string(ov[i][1]) != "prep" {
			t.Fatalf("execute %d: origin values %q target %q", i, ov[i], tv[i])
		}
		if ov[i][0][6]>>4 != 1 {
			t.Fatalf("not a version 1 UUID: %x", ov[i][0])
		}
		seen[string(ov[i][0])] = true
	}
	if len(seen) != 3 {
		t.Fatal("each EXECUTE should get its own timeuuid")
	}

	// Batch: a literal child and two prepared children (now() after and
	// before the client's bind marker).
	b := s.Batch(gocql.LoggedBatch)
	b.Query("INSERT INTO ks.t (k, ts) VALUES ('batched', now())")
	b.Query("DELETE FROM ks.t WHERE k = ? AND ts = now()", "bprep")
	b.Query("UPDATE ks.t SET ts = now() WHERE k = ?", "bprep2")
	if err := s.ExecuteBatch(b); err != nil {
		t.Fatal(err)
	}
	ob, tb := batches(e.origin.Received()), batches(e.target.Received())
	if len(ob) != 1 || len(tb) != 1 {
		t.Fatalf("want one BATCH on each cluster, got %d and %d", len(ob), len(tb))
	}
	if strings.Join(ob[0].Children, "|") != strings.Join(tb[0].Children, "|") || strings.Contains(strings.ToLower(ob[0].Children[0]), "now()") {
		t.Fatalf("batch children differ or keep now(): %q vs %q", ob[0].Children, tb[0].Children)
	}
	// The prepared children carry the client's value plus one timeuuid,
	// byte-identical on both clusters.
	if len(ob[0].ChildValues) != 3 || len(tb[0].ChildValues) != 3 {
		t.Fatalf("want values for 3 children, got %d and %d", len(ob[0].ChildValues), len(tb[0].ChildValues))
	}
	for i, want := range map[int]struct {
		client string
		uuidAt int
	}{1: {"bprep", 1}, 2: {"bprep2", 0}} {
		ov, tv := ob[0].ChildValues[i], tb[0].ChildValues[i]
		if len(ov) != 2 || len(tv) != 2 {
			t.Fatalf("child %d: want 2 values on each cluster, got origin %q target %q", i, ov, tv)
		}
		u := ov[want.uuidAt]
		if string(ov[1-want.uuidAt]) != want.client || string(tv[1-want.uuidAt]) != want.client {
			t.Fatalf("child %d: client value moved: origin %q target %q", i, ov, tv)
		}
		if len(u) != 16 || !bytes.Equal(u, tv[want.uuidAt]) {
			t.Fatalf("child %d: timeuuid differs: origin %x target %x", i, u, tv[want.uuidAt])
		}
		if u[6]>>4 != 1 || u[8]&0xc0 != 0x80 {
			t.Fatalf("child %d: not a version 1 (RFC 4122) UUID: %x", i, u)
		}
	}
}
