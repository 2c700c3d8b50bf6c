package proxy_test

import (
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy"
)

// stopTarget closes the fake Target (connections refused) and returns a
// function that starts it again on the same address, empty (a restarted
// node has forgotten its prepared statements).
func stopTarget(t *testing.T, e *env) (restart func()) {
	t.Helper()
	addr := e.target.Addr
	e.target.Close()
	return func() {
		t.Helper()
		c, err := cqltest.New(cqltest.Options{Name: "target", IDSalt: "t", Listen: addr})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		e.target = c
	}
}

// mixedLoad runs writes (QUERY, prepared, BATCH), reads and a statement
// prepared for the first time; it returns the client errors.
func mixedLoad(s *gocql.Session, fresh string, n int) []error {
	errs := writeLoad(s, n)
	for i := 0; i < n/3; i++ {
		if err := s.Query("INSERT INTO ks."+fresh+" (k, v) VALUES (?, ?)", "k", "v").Exec(); err != nil {
			errs = append(errs, err)
		}
		if err := s.Query("SELECT v FROM ks.users WHERE k = ?", "a").Iter().Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// toTarget counts the writes to ks.users Target got (gocql prepares them).
func toTarget(e *env) int {
	return e.target.Count(primitive.OpCodeQuery, "INSERT INTO ks.users") + e.target.Count(primitive.OpCodeExecute, "INSERT INTO ks.users")
}

func TestAsyncSecondaryStoppedClientsKeepWorking(t *testing.T) {
	e, set, fl := asyncEnv(t, "DUAL_ASYNC_ON_SECONDARY", "ZDM_READ_MODE=DUAL_ASYNC_ON_SECONDARY")
	s := e.session(t, func(cl *gocql.ClusterConfig) { cl.NumConns = 2 })
	if errs := mixedLoad(s, "before", 6); len(errs) != 0 {
		t.Fatalf("errors with both clusters up: %v", errs[0])
	}
	restart := stopTarget(t, e)
	waitFor(t, "the client connections to notice Target is gone", func() bool {
		return e.srv.SecondaryWrites().Disconnected == e.srv.Stats().ClientConnections
	})
	before := e.srv.SecondaryWrites().Journaled
	if errs := mixedLoad(s, "fresh", 30); len(errs) != 0 {
		t.Fatalf("%d client errors with Target stopped in DUAL_ASYNC_ON_SECONDARY, first: %v", len(errs), errs[0])
	}
	// 30 writes, 10 of a statement prepared while Target was down.
	if j := e.srv.SecondaryWrites().Journaled - before; j != 40 {
		t.Fatalf("%d writes journaled while Target was stopped, want 40", j)
	}
	if r := fl.reasons(); r[proxy.ReasonUnavailable] != 40 {
		t.Fatalf("failure reasons %v, want 40 unavailable", r)
	}
	// New client connections complete their handshake with Origin alone.
	s2 := e.session(t, nil)
	if errs := writeLoad(s2, 3); len(errs) != 0 {
		t.Fatalf("a session opened while Target is stopped: %v", errs[0])
	}

	restart()
	waitFor(t, "every client connection to reconnect to Target", func() bool { return e.srv.SecondaryWrites().Disconnected == 0 })
	journaled := e.srv.SecondaryWrites().Journaled
	waitFor(t, "the statement prepared while Target was down to reach it", func() bool {
		if errs := mixedLoad(s, "fresh", 3); len(errs) != 0 {
			t.Fatal(errs[0])
		}
		return e.target.Count(primitive.OpCodeExecute, "ks.fresh") > 0
	})
	// The restarted Target forgot the statements prepared before: each is
	// journaled once (UNPREPARED) and prepared there again.
	if toTarget(e) == 0 {
		t.Fatal("QUERY writes do not reach Target after it came back")
	}
	if e.target.Count(primitive.OpCodePrepare, "ks.fresh") == 0 {
		t.Fatal("the statement prepared while Target was down was never prepared there")
	}
	set.Flush()
	if st := set.Stats(); st.Pending < journaled {
		t.Fatalf("journal %+v, want at least %d pending", st, journaled)
	}
}

func TestAsyncHandshakeWithTargetStopped(t *testing.T) {
	e, set, _ := asyncEnv(t, "DUAL_ASYNC_ON_SECONDARY")
	restart := stopTarget(t, e)
	s := e.session(t, func(cl *gocql.ClusterConfig) { cl.Keyspace = "ks" }) // USE with Target stopped
	if errs := writeLoad(s, 9); len(errs) != 0 {
		t.Fatalf("%d client errors, first: %v", len(errs), errs[0])
	}
	waitFor(t, "9 journaled writes", func() bool { return e.srv.SecondaryWrites().Journaled == 9 })
	restart()
	waitFor(t, "the client connection to reach Target", func() bool { return e.srv.SecondaryWrites().Disconnected == 0 })
	// The reconnected Target connection is in the client's keyspace.
	if e.target.Count(primitive.OpCodeQuery, `USE "ks"`) == 0 {
		t.Fatalf("the reconnect did not set the keyspace; Target saw %v", e.target.Queries("USE"))
	}
	waitFor(t, "writes to reach Target again", func() bool {
		if errs := writeLoad(s, 1); len(errs) != 0 {
			t.Fatal(errs[0])
		}
		return toTarget(e) > 0
	})
	set.Flush()
	// The 9, and any write sent while its statement was being prepared on
	// the reconnected Target.
	if st := set.Stats(); st.Pending < 9 {
		t.Fatalf("journal %+v, want the 9 writes", st)
	}
}

func TestDualSyncTargetStoppedFailsTheClient(t *testing.T) {
	e, _, _ := asyncEnv(t, "DUAL_SYNC")
	s := e.session(t, nil)
	stopTarget(t, e)
	// As before: the client connection closes with Target's, and new ones
	// cannot complete their handshake.
	waitFor(t, "the writes to fail", func() bool { return len(writeLoad(s, 1)) == 1 })
	if j := e.srv.SecondaryWrites().Journaled; j != 0 {
		t.Fatalf("DUAL_SYNC journaled %d writes", j)
	}
}
