package proxy_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/journal"
)

type failure struct{ cluster, ks, table, reason string }

type failureLog struct {
	mu  sync.Mutex
	all []failure
}

func (l *failureLog) hooks() *proxy.Hooks {
	return &proxy.Hooks{OnSecondaryWriteFailure: func(c proxy.Cluster, ks, table, reason string) {
		l.mu.Lock()
		l.all = append(l.all, failure{c.String(), ks, table, reason})
		l.mu.Unlock()
	}}
}

func (l *failureLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.all)
}

func (l *failureLog) reasons() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for _, f := range l.all {
		out[f.reason]++
	}
	return out
}

// isWriteReq: the fake's hook sees every request; writes are the ones to
// freeze or fail.
func isWriteReq(r cqltest.Received) bool {
	if r.Opcode == primitive.OpCodeBatch {
		return true
	}
	if r.Opcode != primitive.OpCodeQuery && r.Opcode != primitive.OpCodeExecute {
		return false
	}
	q := strings.ToUpper(strings.TrimSpace(r.Query))
	return strings.HasPrefix(q, "INSERT") || strings.HasPrefix(q, "UPDATE") || strings.HasPrefix(q, "DELETE")
}

func asyncEnv(t *testing.T, mode string, extra ...string) (*env, *journal.Set, *failureLog) {
	t.Helper()
	set, err := journal.OpenSet(t.TempDir(), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	fl := &failureLog{}
	e := newEnv(t, envOpts{hooks: fl.hooks(), journal: set,
		extraEnv: append([]string{"ZDM_WRITE_MODE=" + mode, "ZDM_JOURNAL_DIR=/unused-by-proxy.New", "ZDM_PROXY_REQUEST_TIMEOUT_MS=300"}, extra...)})
	return e, set, fl
}

// writeLoad runs a mix of writes through s and returns the errors.
func writeLoad(s *gocql.Session, n int) []error {
	var errs []error
	for i := 0; i < n; i++ {
		k := string(rune('a' + i%26))
		var err error
		switch i % 3 {
		case 0:
			err = s.Query("INSERT INTO ks.users (k, v) VALUES ('" + k + "', 'x')").Exec()
		case 1:
			err = s.Query("UPDATE ks.users SET v = ? WHERE k = ?", "y", k).Exec()
		case 2:
			b := s.Batch(gocql.LoggedBatch)
			b.Query("INSERT INTO ks.orders (k, v) VALUES (?, ?)", k, "1")
			b.Query("DELETE FROM ks.users WHERE k = '" + k + "'")
			err = s.ExecuteBatch(b)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func TestAsyncWritesFrozenTargetNeverReachesTheClient(t *testing.T) {
	e, set, fl := asyncEnv(t, "DUAL_ASYNC_ON_SECONDARY")
	e.target.SetHook(func(r cqltest.Received) cqltest.Action {
		return cqltest.Action{NoAnswer: isWriteReq(r)} // frozen for writes
	})
	s := e.session(t, func(cl *gocql.ClusterConfig) { cl.DefaultTimestamp = false })
	if errs := writeLoad(s, 30); len(errs) != 0 {
		t.Fatalf("%d client errors with a frozen Target in DUAL_ASYNC_ON_SECONDARY, first: %v", len(errs), errs[0])
	}
	if err := s.Query("UPDATE ks.counts SET n = n + 1 WHERE k = 'a'").Exec(); err != nil {
		t.Fatal(err)
	}
	if err := s.Query("INSERT INTO ks.users (k, v) VALUES (?, ?) IF NOT EXISTS", "z", "1").Exec(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "32 secondary writes to time out and be journaled", func() bool { return e.srv.SecondaryWrites().Journaled == 32 })
	set.Flush()
	if r := fl.reasons(); r[proxy.ReasonTimeout] != 32 {
		t.Fatalf("failure reasons %v", r)
	}
	st := set.Stats()
	if st.Pending != 30 || st.NeedsRepair != 2 {
		t.Fatalf("journal stats %+v: want 30 replayable, 2 needs-repair (counter, LWT)", st)
	}
	// The records hold what a replay needs, with Origin's timestamps.
	originTS := map[string]int64{}
	for _, r := range e.origin.Received() {
		if isWriteReq(r) && r.Timestamp != nil {
			q := r.Query
			if len(r.Children) > 0 {
				q = r.Children[0]
			}
			originTS[q+"|"+strings.Join(valuesOf(r), ",")] = *r.Timestamp
		}
	}
	rp, err := journal.OpenReplay(set.Replay.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	var n int
	err = rp.Each(func(rec journal.Record) error {
		n++
		if rec.Cluster != "TARGET" || rec.Keyspace != "ks" || (rec.Table != "users" && rec.Table != "orders") {
			return errors.New("bad record header: " + rec.Cluster + " " + rec.Keyspace + "." + rec.Table)
		}
		q := rec.Statements[0].Query
		var vals []string
		for _, v := range rec.Statements[0].Values {
			vals = append(vals, string(v.B))
		}
		if ts, ok := originTS[q+"|"+strings.Join(vals, ",")]; !ok || ts != rec.Timestamp {
			t.Errorf("record %q %v: timestamp %d, Origin stored %d (found %v)", q, vals, rec.Timestamp, ts, ok)
		}
		if rec.BatchType != journal.NoBatch && len(rec.Statements) != 2 {
			t.Errorf("batch record with %d statements", len(rec.Statements))
		}
		return nil
	})
	if err != nil || n != 30 {
		t.Fatalf("replayed %d records: %v", n, err)
	}
}

func valuesOf(r cqltest.Received) []string {
	var out []string
	vals := r.Values
	if len(r.ChildValues) > 0 {
		vals = r.ChildValues[0]
	}
	for _, v := range vals {
		out = append(out, string(v))
	}
	return out
}

func TestDualSyncFrozenTargetFailsTheClient(t *testing.T) {
	e, set, _ := asyncEnv(t, "DUAL_SYNC")
	e.target.SetHook(func(r cqltest.Received) cqltest.Action { return cqltest.Action{NoAnswer: isWriteReq(r)} })
	s := e.session(t, nil)
	if errs := writeLoad(s, 3); len(errs) != 3 {
		t.Fatalf("DUAL_SYNC with a frozen Target: %d client errors of 3 writes, want 3", len(errs))
	}
	if st := set.Stats(); st.Pending+st.NeedsRepair != 0 {
		t.Fatalf("DUAL_SYNC journaled %+v", st)
	}
}

func TestAsyncWritesFailureReasonsAndBudget(t *testing.T) {
	e, set, fl := asyncEnv(t, "DUAL_ASYNC_ON_SECONDARY")
	var mu sync.Mutex
	next := cqltest.Action{}
	e.target.SetHook(func(r cqltest.Received) cqltest.Action {
		mu.Lock()
		defer mu.Unlock()
		if !isWriteReq(r) {
			return cqltest.Action{}
		}
		return next
	})
	set1 := func(a cqltest.Action) { mu.Lock(); next = a; mu.Unlock() }
	s := e.session(t, nil)
	set1(cqltest.Action{Error: errors.New("no replicas"), ErrorCode: cqltest.ErrCodeUnavailable})
	if errs := writeLoad(s, 2); len(errs) != 0 {
		t.Fatal(errs)
	}
	// The client is answered before Target sees the write: wait for Target's
	// answers before changing what it answers.
	waitFor(t, "2 failures", func() bool { return fl.len() == 2 })
	set1(cqltest.Action{Error: errors.New("busy"), ErrorCode: cqltest.ErrCodeOverloaded})
	if errs := writeLoad(s, 1); len(errs) != 0 {
		t.Fatal(errs)
	}
	waitFor(t, "3 failures", func() bool { return fl.len() == 3 })
	set1(cqltest.Action{Error: errors.New("boom")})
	if errs := writeLoad(s, 1); len(errs) != 0 {
		t.Fatal(errs)
	}
	waitFor(t, "4 failures", func() bool { return fl.len() == 4 })
	set1(cqltest.Action{})
	if errs := writeLoad(s, 3); len(errs) != 0 {
		t.Fatal(errs)
	}
	// The healthy writes reach Target after their clients were answered:
	// wait for all 7 there, then no further failure may have been counted.
	targetWrites := func() int {
		n := 0
		for _, r := range e.target.Received() {
			if isWriteReq(r) {
				n++
			}
		}
		return n
	}
	waitFor(t, "Target to see all 7 writes", func() bool { return targetWrites() >= 7 })
	if n := fl.len(); n != 4 {
		t.Fatalf("%d failures journaled, want 4", n)
	}
	want := map[string]int{proxy.ReasonUnavailable: 2, proxy.ReasonOverloaded: 1, proxy.ReasonError: 1}
	if got := fl.reasons(); len(got) != 3 || got[proxy.ReasonUnavailable] != 2 || got[proxy.ReasonOverloaded] != 1 || got[proxy.ReasonError] != 1 {
		t.Fatalf("reasons %v, want %v", got, want)
	}
	set.Flush()
	if st := set.Stats(); st.Pending != 4 {
		t.Fatalf("journal %+v, want 4 pending", st)
	}
	// The healthy writes reached Target, each once.
	if n := targetWrites(); n != 7 {
		t.Fatalf("Target saw %d writes, want all 7 sent", n)
	}
}

func TestAsyncWritesBudgetJournalsWhatDoesNotFit(t *testing.T) {
	e, set, fl := asyncEnv(t, "DUAL_ASYNC_ON_SECONDARY", "ZDM_SECONDARY_WRITE_MAX_IN_FLIGHT=1", "ZDM_PROXY_REQUEST_TIMEOUT_MS=2000")
	e.target.SetHook(func(r cqltest.Received) cqltest.Action { return cqltest.Action{NoAnswer: isWriteReq(r)} })
	s := e.session(t, nil)
	if errs := writeLoad(s, 5); len(errs) != 0 {
		t.Fatal(errs)
	}
	waitFor(t, "4 budget failures", func() bool { return fl.reasons()[proxy.ReasonBudget] == 4 })
	waitFor(t, "the one in flight to time out", func() bool { return fl.reasons()[proxy.ReasonTimeout] == 1 })
	set.Flush()
	if st := set.Stats(); st.Pending != 5 {
		t.Fatalf("journal %+v, want all 5 writes", st)
	}
}

func TestTargetConsistencyLevel(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_TARGET_CONSISTENCY_LEVEL=LOCAL_ONE"}})
	s := e.session(t, func(cl *gocql.ClusterConfig) { cl.Consistency = gocql.Quorum })
	if errs := writeLoad(s, 3); len(errs) != 0 {
		t.Fatal(errs)
	}
	for _, c := range []*cqltest.Cluster{e.origin, e.target} {
		want := primitive.ConsistencyLevelQuorum
		if c == e.target {
			want = primitive.ConsistencyLevelLocalOne
		}
		n := 0
		for _, r := range c.Received() {
			if isWriteReq(r) {
				n++
				if r.Consistency != want {
					t.Fatalf("%s got a write at %v, want %v", c.Name, r.Consistency, want)
				}
			}
		}
		if n != 3 {
			t.Fatalf("%s saw %d writes", c.Name, n)
		}
	}
}

func TestAsyncWritesPrepareWhileTargetFrozen(t *testing.T) {
	e, set, _ := asyncEnv(t, "DUAL_ASYNC_ON_SECONDARY")
	var mu sync.Mutex
	frozen := true
	e.target.SetHook(func(r cqltest.Received) cqltest.Action {
		mu.Lock()
		defer mu.Unlock()
		return cqltest.Action{NoAnswer: frozen && strings.Contains(r.Query, "ks.fresh")}
	})
	s := e.session(t, nil)
	for i := 0; i < 3; i++ { // gocql prepares it first: only Origin answers
		if err := s.Query("INSERT INTO ks.fresh (k, v) VALUES (?, ?)", "k", "v").Exec(); err != nil {
			t.Fatalf("write %d of a statement prepared with Target frozen: %v", i, err)
		}
	}
	waitFor(t, "3 journaled writes", func() bool { return e.srv.SecondaryWrites().Journaled == 3 })
	set.Flush()
	if st := set.Stats(); st.Pending != 3 {
		t.Fatalf("journal %+v", st)
	}
	mu.Lock()
	frozen = false
	mu.Unlock()
	// The proxy prepares it on Target in the background; writes reach Target again.
	waitFor(t, "a write to reach Target", func() bool {
		if err := s.Query("INSERT INTO ks.fresh (k, v) VALUES (?, ?)", "k", "v").Exec(); err != nil {
			t.Fatal(err)
		}
		return e.target.Count(primitive.OpCodeExecute, "ks.fresh") > 0
	})
}

func TestAsyncWritesReprepareWhenTheSecondaryForgets(t *testing.T) {
	e, set, _ := asyncEnv(t, "DUAL_ASYNC_ON_SECONDARY")
	s := e.session(t, nil)
	write := func() {
		t.Helper()
		if err := s.Query("INSERT INTO ks.again (k, v) VALUES (?, ?)", "k", "v").Exec(); err != nil {
			t.Fatal(err)
		}
	}
	write()
	e.target.ForgetPrepared() // a Target node restarted
	write()                   // UNPREPARED from Target: journaled, and prepared there again
	waitFor(t, "the write Target lost to be journaled", func() bool { return e.srv.SecondaryWrites().Journaled == 1 })
	waitFor(t, "Target to get the statement again", func() bool { return e.target.Count(primitive.OpCodePrepare, "ks.again") == 2 })
	before := e.target.Count(primitive.OpCodeExecute, "ks.again")
	write()
	waitFor(t, "the next write to reach Target", func() bool { return e.target.Count(primitive.OpCodeExecute, "ks.again") > before })
	set.Flush()
	if st := set.Stats(); st.Pending != 1 {
		t.Fatalf("journal %+v", st)
	}
	if j := e.srv.SecondaryWrites().Journaled; j != 1 {
		t.Fatalf("%d writes journaled, want only the one Target did not know", j)
	}
}
