package proxy_test

import (
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/frame"
)

func onInsert(a cqltest.Action) func(cqltest.Received) cqltest.Action {
	return func(r cqltest.Received) cqltest.Action {
		if strings.HasPrefix(r.Query, "INSERT") && r.Opcode != 0x09 {
			return a
		}
		return cqltest.Action{}
	}
}

func TestClusterErrorReachesClient(t *testing.T) {
	for _, failing := range []string{"origin", "target", "both"} {
		t.Run(failing, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			s := e.session(t, nil)
			if failing != "target" {
				e.origin.SetHook(onInsert(cqltest.Action{Error: errors.New("origin is broken"), ErrorCode: cqltest.ErrCodeInvalid}))
			}
			if failing != "origin" {
				e.target.SetHook(onInsert(cqltest.Action{Error: errors.New("target is broken"), ErrorCode: cqltest.ErrCodeInvalid}))
			}
			err := s.Query("INSERT INTO ks.t (k) VALUES ('a')").Exec()
			if err == nil {
				t.Fatal("write succeeded although a cluster failed it")
			}
			want := "origin is broken" // the primary's error when both fail
			if failing == "target" {
				want = "target is broken"
			}
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q, want it to contain %q", err, want)
			}
		})
	}
}

func TestClusterTimeoutGivesErrorAndFreesStreamLate(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_PROXY_REQUEST_TIMEOUT_MS=200"}})
	s := e.session(t, func(c *gocql.ClusterConfig) { c.RetryPolicy = nil })
	release := make(chan struct{})
	var once sync.Once
	e.target.SetHook(func(r cqltest.Received) cqltest.Action {
		if strings.HasPrefix(r.Query, "INSERT") && r.Opcode != 0x09 {
			<-release // answer only when the test says so
		}
		return cqltest.Action{}
	})
	defer once.Do(func() { close(release) })
	err := s.Query("INSERT INTO ks.t (k) VALUES ('a')").Exec()
	if err == nil {
		t.Fatal("write succeeded although target never answered")
	}
	if !strings.Contains(strings.ToLower(err.Error()), "timeout") && !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("unexpected error: %v", err)
	}
	// The target-side stream id stays reserved until the late answer comes.
	if n := e.srv.Stats().Clusters[1].StreamsInUse; n != 1 {
		t.Fatalf("target streams in use = %d before the late answer, want 1", n)
	}
	once.Do(func() { close(release) })
	waitFor(t, "late answer to free the stream id", func() bool { return e.srv.Stats().Clusters[1].StreamsInUse == 0 })
	if e.srv.Stats().InFlightRequests != 0 {
		t.Fatal("request still counted in flight")
	}
	// The connection still works.
	e.target.SetHook(nil)
	if err := s.Query("INSERT INTO ks.t (k) VALUES ('b')").Exec(); err != nil {
		t.Fatal(err)
	}
}

func TestClusterDropClosesClientAndDriverReconnects(t *testing.T) {
	e := newEnv(t, envOpts{})
	s := e.session(t, func(c *gocql.ClusterConfig) { c.RetryPolicy = nil })
	var mu sync.Mutex
	dropped := false
	e.target.SetHook(func(r cqltest.Received) cqltest.Action {
		mu.Lock()
		defer mu.Unlock()
		if strings.HasPrefix(r.Query, "INSERT") && r.Opcode != 0x09 && !dropped {
			dropped = true
			return cqltest.Action{Drop: true}
		}
		return cqltest.Action{}
	})
	if err := s.Query("INSERT INTO ks.t (k) VALUES ('a')").Exec(); err == nil {
		t.Fatal("write succeeded although target dropped the connection")
	}
	// The driver reconnects and later writes work again.
	waitFor(t, "writes to work after reconnect", func() bool {
		return s.Query("INSERT INTO ks.t (k) VALUES ('b')").Exec() == nil
	})
}

func TestSlowSecondaryDoesNotSlowReads(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_READ_MODE=DUAL_ASYNC_ON_SECONDARY"}})
	s := e.session(t, nil)
	release := make(chan struct{})
	blocked := make(chan struct{}, 10)
	e.target.SetHook(func(r cqltest.Received) cqltest.Action {
		if strings.HasPrefix(r.Query, "SELECT cluster") && r.Opcode != 0x09 {
			blocked <- struct{}{}
			<-release
		}
		return cqltest.Action{}
	})
	defer close(release)
	for i := 0; i < 3; i++ {
		var cluster, value string
		if err := s.Query("SELECT cluster, value FROM ks.t WHERE k = ?", "a").Scan(&cluster, &value); err != nil {
			t.Fatal(err)
		}
		if cluster != "origin" {
			t.Fatalf("answer from %q", cluster)
		}
	}
	// All three reads completed while the secondary still holds its copies.
	for i := 0; i < 3; i++ {
		<-blocked
	}
	if n := e.srv.Stats().AsyncReadsInFlight; n != 3 {
		t.Fatalf("async reads in flight = %d, want 3 (still blocked on the secondary)", n)
	}
}

func TestAsyncQueueBoundDrops(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_READ_MODE=DUAL_ASYNC_ON_SECONDARY", "ZDM_PROXY_ASYNC_READ_QUEUE_SIZE=1"}})
	s := e.session(t, nil)
	release := make(chan struct{})
	e.target.SetHook(func(r cqltest.Received) cqltest.Action {
		if strings.HasPrefix(r.Query, "SELECT cluster") && r.Opcode != 0x09 {
			<-release
		}
		return cqltest.Action{}
	})
	defer close(release)
	for i := 0; i < 3; i++ {
		var cluster, value string
		if err := s.Query("SELECT cluster, value FROM ks.t WHERE k = ?", "a").Scan(&cluster, &value); err != nil {
			t.Fatal(err)
		}
	}
	if st := e.srv.Stats(); st.AsyncReadsDropped != 2 || st.AsyncReadsInFlight != 1 {
		t.Fatalf("dropped=%d in flight=%d, want 2 and 1", st.AsyncReadsDropped, st.AsyncReadsInFlight)
	}
}

func TestUnreachableClusterFailsHandshakeClearly(t *testing.T) {
	e := newEnv(t, envOpts{})
	// Point Target at a port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := *e.cfg
	cfg.Target.Port = dead
	srv := proxy.New(&cfg, proxy.Options{})
	pl, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(pl)
	defer srv.Close()
	c := dialRaw(t, pl.Addr().String())
	c.write(frame.New(4, 0, 1, frame.OpOptions, nil))
	f := c.read()
	if frame.ErrorCode(f) != frame.ErrCodeServer || !strings.Contains(frame.ErrorMessage(f), "cannot reach TARGET") {
		t.Fatalf("got code %x %q", frame.ErrorCode(f), frame.ErrorMessage(f))
	}
}

func TestMissingProxyCredentialsNamesTheKey(t *testing.T) {
	e := newEnv(t, envOpts{origin: cqltest.Options{Username: "ou", Password: "op"}, target: cqltest.Options{Username: "tu", Password: "tp"}})
	cl := e.clusterConfig()
	cl.Authenticator = gocql.PasswordAuthenticator{Username: "tu", Password: "tp"}
	_, err := cl.CreateSession()
	if err == nil || !strings.Contains(err.Error(), "origin_username") {
		t.Fatalf("err = %v, want it to name origin_username", err)
	}
}

func TestAsyncReadsCannotStarveWrites(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_READ_MODE=DUAL_ASYNC_ON_SECONDARY", "ZDM_PROXY_MAX_STREAM_IDS=4"}})
	s := e.session(t, func(c *gocql.ClusterConfig) { c.NumConns = 1 })
	release := make(chan struct{})
	e.target.SetHook(func(r cqltest.Received) cqltest.Action {
		if strings.HasPrefix(r.Query, "SELECT cluster") && r.Opcode != 0x09 {
			<-release
		}
		return cqltest.Action{}
	})
	defer close(release)
	for i := 0; i < 5; i++ {
		var cluster, value string
		if err := s.Query("SELECT cluster, value FROM ks.t WHERE k = ?", "a").Scan(&cluster, &value); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", "a", "b").Exec(); err != nil {
		t.Fatalf("write blocked by async reads holding stream ids: %v", err)
	}
	if st := e.srv.Stats(); st.AsyncReadsDropped == 0 {
		t.Fatal("no async read was dropped although the secondary held half the ids")
	}
}
