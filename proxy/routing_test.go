package proxy_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/frame"
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
	for _, q := range []string{"UPDATE ks.t SET v = 'x' WHERE k = 'a'", "DELETE FROM ks.t WHERE k = 'a'", "CREATE TABLE ks.t2 (k text PRIMARY KEY)"} {
		if err := s.Query(q).Exec(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if o, tg := len(e.origin.Queries(q)), len(e.target.Queries(q)); o != 1 || tg != 1 {
			t.Fatalf("%q seen origin=%d target=%d, want 1/1", q, o, tg)
		}
	}
	var cluster, value string
	if err := s.Query("SELECT cluster, value FROM ks.t WHERE k = 'a'").Scan(&cluster, &value); err != nil {
		t.Fatal(err)
	}
	if cluster != "origin" {
		t.Fatalf("read answered by %q, want origin", cluster)
	}
	if n := len(e.target.Queries("SELECT cluster")); n != 0 {
		t.Fatalf("target saw %d reads in PRIMARY_ONLY mode", n)
	}
}

func TestPrimaryTarget(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_PRIMARY_CLUSTER=TARGET"}})
	s := e.session(t, nil)
	var cluster, value string
	if err := s.Query("SELECT cluster, value FROM ks.t WHERE k = ?", "a").Scan(&cluster, &value); err != nil {
		t.Fatal(err)
	}
	if cluster != "target" {
		t.Fatalf("read answered by %q, want target", cluster)
	}
	if n := len(e.origin.Queries("SELECT cluster")); n != 0 {
		t.Fatalf("origin saw %d reads with primary TARGET", n)
	}
	if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", "a", "b").Exec(); err != nil {
		t.Fatal(err)
	}
	if o, tg := len(e.origin.Queries("INSERT")), len(e.target.Queries("INSERT")); o != 1 || tg != 1 {
		t.Fatalf("insert seen origin=%d target=%d", o, tg)
	}
}

func TestDualAsyncReadsReachSecondary(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_READ_MODE=DUAL_ASYNC_ON_SECONDARY"}})
	s := e.session(t, nil)
	for i := 0; i < 5; i++ {
		var cluster, value string
		if err := s.Query("SELECT cluster, value FROM ks.t WHERE k = ?", "a").Scan(&cluster, &value); err != nil {
			t.Fatal(err)
		}
		if cluster != "origin" {
			t.Fatalf("client got the secondary's answer %q", cluster)
		}
	}
	waitFor(t, "5 async reads on target", func() bool { return len(e.target.Queries("SELECT cluster")) == 5 })
}

func TestPreparedIDsAreMappedPerCluster(t *testing.T) {
	e := newEnv(t, envOpts{})
	s := e.session(t, nil)
	q := "INSERT INTO ks.t (k, v) VALUES (?, ?)"
	for i := 0; i < 3; i++ {
		if err := s.Query(q, "k", "v").Exec(); err != nil {
			t.Fatal(err)
		}
	}
	check := func(c *cqltest.Cluster) {
		n := 0
		for _, r := range c.Received() {
			if r.Opcode == primitive.OpCodeExecute && r.Query == q {
				n++
			}
			if r.Opcode == primitive.OpCodeExecute && r.Query == "" {
				t.Fatalf("%s got an EXECUTE with an id it does not know", c.Name)
			}
		}
		if n != 3 {
			t.Fatalf("%s executed %d times, want 3", c.Name, n)
		}
	}
	check(e.origin)
	check(e.target)
}

func TestUnpreparedRecovery(t *testing.T) {
	for _, forget := range []string{"origin", "target", "both"} {
		t.Run(forget, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			s := e.session(t, nil)
			q := "UPDATE ks.t SET v = ? WHERE k = ?"
			if err := s.Query(q, "v", "k").Exec(); err != nil {
				t.Fatal(err)
			}
			if forget != "target" {
				e.origin.ForgetPrepared()
			}
			if forget != "origin" {
				e.target.ForgetPrepared()
			}
			if err := s.Query(q, "v2", "k").Exec(); err != nil {
				t.Fatalf("execute after the cluster forgot the statement: %v", err)
			}
			for _, c := range []*cqltest.Cluster{e.origin, e.target} {
				last := c.Received()[len(c.Received())-1]
				if last.Opcode != primitive.OpCodeExecute || last.Query != q || !bytes.Equal(last.Values[0], []byte("v2")) {
					t.Fatalf("%s: last request %+v, want the re-executed update", c.Name, last)
				}
			}
		})
	}
}

func TestBatchWithPreparedChildren(t *testing.T) {
	e := newEnv(t, envOpts{})
	s := e.session(t, nil)
	b := s.Batch(gocql.LoggedBatch)
	b.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", "a", "1")
	b.Query("UPDATE ks.t SET v = ? WHERE k = ?", "2", "b")
	b.Query("DELETE FROM ks.t WHERE k = 'c'")
	if err := b.Exec(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*cqltest.Cluster{e.origin, e.target} {
		var got []string
		for _, r := range c.Received() {
			if r.Opcode == primitive.OpCodeBatch {
				got = r.Children
			}
		}
		want := "INSERT INTO ks.t (k, v) VALUES (?, ?)|UPDATE ks.t SET v = ? WHERE k = ?|DELETE FROM ks.t WHERE k = 'c'"
		if strings.Join(got, "|") != want {
			t.Fatalf("%s batch children = %q", c.Name, got)
		}
	}
}

func TestUseGoesToBothAndKeyspaceIsTracked(t *testing.T) {
	e := newEnv(t, envOpts{})
	s := e.session(t, func(c *gocql.ClusterConfig) { c.Keyspace = "ks" })
	if err := s.Query("INSERT INTO t (k, v) VALUES ('a', 'b')").Exec(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*cqltest.Cluster{e.origin, e.target} {
		found := false
		for _, r := range c.Received() {
			if strings.Contains(r.Query, "INSERT INTO t") && r.Opcode != primitive.OpCodePrepare {
				found = true
				if r.Keyspace != "ks" {
					t.Fatalf("%s: insert ran in keyspace %q, want ks", c.Name, r.Keyspace)
				}
			}
		}
		if !found {
			t.Fatalf("%s did not see the insert", c.Name)
		}
	}
}

func TestPreparedCacheEvictionIsTransparent(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_PROXY_MAX_PREPARED_STATEMENT_CACHE_SIZE=1"}})
	s := e.session(t, nil)
	q1, q2 := "INSERT INTO ks.a (k, v) VALUES (?, ?)", "INSERT INTO ks.b (k, v) VALUES (?, ?)"
	for i := 0; i < 3; i++ {
		for _, q := range []string{q1, q2} {
			if err := s.Query(q, "k", "v").Exec(); err != nil {
				t.Fatalf("round %d %s: %v", i, q, err)
			}
		}
	}
	if n1, n2 := len(e.target.Queries("ks.a")), len(e.target.Queries("ks.b")); n1 != 3 || n2 != 3 {
		t.Fatalf("target executions a=%d b=%d, want 3 each", n1, n2)
	}
	if st := e.srv.Stats(); st.PreparedStatements != 1 {
		t.Fatalf("cache holds %d statements, want 1", st.PreparedStatements)
	}
}

func TestDualAsyncSkipsPagedContinuations(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_READ_MODE=DUAL_ASYNC_ON_SECONDARY"}})
	c := dialRaw(t, e.addr)
	c.startup()
	q := "SELECT cluster, value FROM ks.t"
	body := binary.BigEndian.AppendUint32(nil, uint32(len(q)))
	body = append(body, q...)
	body = append(body, 0, 1, 0x0C)                             // ONE; page size + paging state
	body = append(body, 0, 0, 0, 10, 0, 0, 0, 3, 'p', 'g', 's') // page size 10, paging state
	c.write(frame.New(4, 0, 1, frame.OpQuery, body))
	if f := c.read(); f.Opcode() != frame.OpResult {
		t.Fatalf("paged read: %s", frame.OpcodeName(f.Opcode()))
	}
	c.write(frame.New(4, 0, 2, frame.OpQuery, queryBody(q)))
	if f := c.read(); f.Opcode() != frame.OpResult {
		t.Fatalf("first-page read: %s", frame.OpcodeName(f.Opcode()))
	}
	c.write(frame.New(4, 0, 3, frame.OpQuery, queryBody(q)))
	if f := c.read(); f.Opcode() != frame.OpResult {
		t.Fatalf("second first-page read: %s", frame.OpcodeName(f.Opcode()))
	}
	waitFor(t, "both first-page reads on target", func() bool { return len(e.target.Queries(q)) >= 2 })
	for _, r := range e.target.Received() {
		if r.Paged {
			t.Fatal("a paged continuation was replayed on the secondary")
		}
	}
	paged := 0
	for _, r := range e.origin.Received() {
		if r.Paged {
			paged++
		}
	}
	if paged != 1 {
		t.Fatalf("origin saw %d paged reads, want 1", paged)
	}
}

// The comparison of a DUAL_ASYNC read's two answers may be slow (a digest of
// both result sets); when the secondary answers first it runs once the
// primary's answer is in, and must not hold the client's answer back.
func TestDualAsyncComparisonDoesNotHoldTheClientAnswer(t *testing.T) {
	clientGot := make(chan struct{})
	hookSawClientAnswer := make(chan bool, 1)
	hooks := &proxy.Hooks{OnAsyncRead: func(r proxy.AsyncReadResult) {
		if r.Dropped || r.Primary == nil {
			return
		}
		select {
		case <-clientGot:
			hookSawClientAnswer <- true
		case <-time.After(3 * time.Second):
			hookSawClientAnswer <- false
		}
	}}
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_READ_MODE=DUAL_ASYNC_ON_SECONDARY"}, hooks: hooks})
	s := e.session(t, nil)
	// Origin (primary) answers the read late, so Target's answer is in first.
	e.origin.SetHook(func(r cqltest.Received) cqltest.Action {
		if strings.Contains(r.Query, "SELECT cluster") {
			return cqltest.Action{Delay: 50 * time.Millisecond}
		}
		return cqltest.Action{}
	})
	var cluster, value string
	err := s.Query("SELECT cluster, value FROM ks.t WHERE k = ?", "a").Scan(&cluster, &value)
	close(clientGot)
	if err != nil || cluster != "origin" {
		t.Fatalf("read through the proxy: %q, %v", cluster, err)
	}
	select {
	case ok := <-hookSawClientAnswer:
		if !ok {
			t.Fatal("the async comparison ran before the client's answer was sent")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the async read hook never ran with both answers")
	}
}
