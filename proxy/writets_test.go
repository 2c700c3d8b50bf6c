package proxy_test

import (
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/internal/cqltest"
)

// writesSeen returns the timestamps both clusters saw for requests whose
// query text (or first batch child) contains substr.
func timestampsSeen(c *cqltest.Cluster, substr string) []*int64 {
	var out []*int64
	for _, r := range c.Received() {
		q := r.Query
		if len(r.Children) > 0 {
			q = r.Children[0]
		}
		if r.Opcode == primitive.OpCodePrepare || !contains(q, substr) || contains(q, "SELECT") {
			continue
		}
		out = append(out, r.Timestamp)
	}
	return out
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestProxySetsOneTimestampForBothClusters(t *testing.T) {
	for _, v := range []int{3, 4, 5} {
		e := newEnv(t, envOpts{})
		s := e.session(t, func(cl *gocql.ClusterConfig) { cl.DefaultTimestamp = false; cl.ProtoVersion = v })
		if err := s.Query("INSERT INTO ks.tsq (k) VALUES (1)").Exec(); err != nil {
			t.Fatal(err)
		}
		if err := s.Query("UPDATE ks.tse SET v = ? WHERE k = ?", "x", "1").Exec(); err != nil { // prepared: EXECUTE
			t.Fatal(err)
		}
		b := s.Batch(gocql.UnloggedBatch)
		b.Query("INSERT INTO ks.tsb (k) VALUES (?)", "2")
		b.Query("DELETE FROM ks.tsb WHERE k = 3")
		if err := s.ExecuteBatch(b); err != nil {
			t.Fatal(err)
		}
		if err := s.Query("SELECT * FROM ks.tsq").Exec(); err != nil {
			t.Fatal(err)
		}
		for _, tbl := range []string{"ks.tsq", "ks.tse", "ks.tsb"} {
			o, tg := timestampsSeen(e.origin, tbl), timestampsSeen(e.target, tbl)
			if len(o) != 1 || len(tg) != 1 || o[0] == nil || tg[0] == nil {
				t.Fatalf("v%d %s: origin saw %v, target %v: want one write each with a timestamp", v, tbl, o, tg)
			}
			if *o[0] != *tg[0] {
				t.Fatalf("v%d %s: origin got timestamp %d, target %d", v, tbl, *o[0], *tg[0])
			}
		}
		for _, r := range e.origin.Received() {
			if r.Query == "SELECT * FROM ks.tsq" && r.Timestamp != nil {
				t.Fatalf("v%d: a read got a timestamp", v)
			}
		}
	}
}

func TestProxyKeepsTheDriversTimestamp(t *testing.T) {
	e := newEnv(t, envOpts{})
	s := e.session(t, nil)
	if err := s.Query("INSERT INTO ks.own (k) VALUES (?)", "1").WithTimestamp(1234567).Exec(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*cqltest.Cluster{e.origin, e.target} {
		ts := timestampsSeen(c, "ks.own")
		if len(ts) != 1 || ts[0] == nil || *ts[0] != 1234567 {
			t.Fatalf("%s saw %v, want the driver's 1234567", c.Name, ts)
		}
	}
}
