package proxy_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/frame"
)

func TestStreamIDsExhaustedRequestsWait(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_PROXY_MAX_STREAM_IDS=1"}})
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()
	e.origin.SetHook(func(r cqltest.Received) cqltest.Action {
		if strings.Contains(r.Query, "slow") {
			<-release
		}
		return cqltest.Action{}
	})
	c := dialRaw(t, e.addr)
	c.startup()
	c.write(frame.New(4, 0, 10, frame.OpQuery, queryBody("INSERT INTO ks.slow (k) VALUES ('a')")))
	waitFor(t, "slow write in flight", func() bool { return e.srv.Stats().Clusters[0].StreamsInUse == 1 })
	// The only stream id is taken: the next requests wait for it.
	for s := int16(11); s <= 14; s++ {
		c.write(frame.New(4, 0, s, frame.OpQuery, queryBody("INSERT INTO ks.t (k) VALUES ('b')")))
	}
	waitFor(t, "4 waiting requests", func() bool { return e.srv.Stats().InFlightRequests == 5 })
	if n := len(e.target.Queries("INSERT INTO ks.t")); n != 0 {
		t.Fatalf("%d writes went out without a stream id", n)
	}
	unblock()
	got := map[int16]bool{}
	for i := 0; i < 5; i++ {
		f := c.read()
		if f.Opcode() != frame.OpResult {
			t.Fatalf("stream %d: %s", f.Stream(), frame.OpcodeName(f.Opcode()))
		}
		got[f.Stream()] = true
	}
	for s := int16(10); s <= 14; s++ {
		if !got[s] {
			t.Fatalf("no answer on stream %d (got %v)", s, got)
		}
	}
	if n := len(e.target.Queries("INSERT INTO ks.t")); n != 4 {
		t.Fatalf("target got %d of the waiting writes, want 4", n)
	}
}

func TestWaitingRequestTimesOut(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_PROXY_MAX_STREAM_IDS=1", "ZDM_PROXY_REQUEST_TIMEOUT_MS=300"}})
	release := make(chan struct{})
	defer close(release)
	e.origin.SetHook(func(r cqltest.Received) cqltest.Action {
		if strings.Contains(r.Query, "slow") {
			<-release
		}
		return cqltest.Action{}
	})
	c := dialRaw(t, e.addr)
	c.startup()
	c.write(frame.New(4, 0, 1, frame.OpQuery, queryBody("INSERT INTO ks.slow (k) VALUES ('a')")))
	c.write(frame.New(4, 0, 2, frame.OpQuery, queryBody("INSERT INTO ks.t (k) VALUES ('b')")))
	for i := 0; i < 2; i++ {
		f := c.read()
		if code := frame.ErrorCode(f); code != frame.ErrCodeWriteTO {
			t.Fatalf("stream %d: code %x, want WRITE_TIMEOUT", f.Stream(), code)
		}
	}
	if e.srv.Stats().InFlightRequests != 0 {
		t.Fatal("timed-out requests still counted")
	}
	if n := len(e.target.Queries("INSERT INTO ks.t")); n != 0 {
		t.Fatal("a request that timed out while waiting was sent later")
	}
}

func TestManyConcurrentRequestsOnOneConnection(t *testing.T) {
	// More requests in flight than proxy_max_stream_ids: the rest wait.
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_PROXY_MAX_STREAM_IDS=256"}})
	s := e.session(t, func(c *gocql.ClusterConfig) { c.NumConns = 1 })
	var wg sync.WaitGroup
	errs := make(chan error, 3000)
	for i := 0; i < 3000; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", "k", "v").Exec(); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(e.target.Queries("INSERT")); n != 3000 {
		t.Fatalf("target got %d writes, want 3000", n)
	}
	st := e.srv.Stats()
	if st.InFlightRequests != 0 || st.Clusters[0].StreamsInUse != 0 || st.Clusters[1].StreamsInUse != 0 {
		t.Fatalf("leaked: %+v", st)
	}
}

func TestHeartbeats(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_HEARTBEAT_INTERVAL_MS=100"}})
	e.session(t, nil)
	waitFor(t, "a heartbeat answer from both clusters", func() bool {
		st := e.srv.Stats()
		return !st.Clusters[0].LastHeartbeat.IsZero() && !st.Clusters[1].LastHeartbeat.IsZero()
	})
}

func TestHooksAndRuntimeSettings(t *testing.T) {
	var mu sync.Mutex
	var outcomes []proxy.RequestOutcome
	var async []proxy.AsyncReadResult
	hooks := &proxy.Hooks{
		OnRequest:   func(o proxy.RequestOutcome) { mu.Lock(); outcomes = append(outcomes, o); mu.Unlock() },
		OnAsyncRead: func(a proxy.AsyncReadResult) { mu.Lock(); async = append(async, a); mu.Unlock() },
	}
	e := newEnv(t, envOpts{hooks: hooks})
	s := e.session(t, nil)
	if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", "a", "b").Exec(); err != nil {
		t.Fatal(err)
	}
	// Switch to primary TARGET with async reads at runtime.
	st := *e.srv.Settings()
	st.Primary = proxy.Target
	st.DualAsyncReads = true
	e.srv.SetSettings(st)
	var cluster, value string
	if err := s.Query("SELECT cluster, value FROM ks.t WHERE k = ?", "a").Scan(&cluster, &value); err != nil {
		t.Fatal(err)
	}
	if cluster != "target" {
		t.Fatalf("after switching primary, read answered by %q", cluster)
	}
	waitFor(t, "async read hook", func() bool { mu.Lock(); defer mu.Unlock(); return len(async) == 1 })
	mu.Lock()
	defer mu.Unlock()
	a := async[0]
	if a.Secondary != proxy.Origin || a.Err != nil || a.SecondaryFrame == nil || a.Primary == nil || !bytes.Contains(a.SecondaryFrame, []byte("origin")) || !bytes.Contains(a.Primary, []byte("target")) {
		t.Fatalf("async result %+v", a)
	}
	var sawWrite bool
	for _, o := range outcomes {
		if o.Opcode == frame.OpExecute && o.Kind.String() == "INSERT" && len(o.Clusters) == 2 && o.Err == nil {
			sawWrite = true
		}
	}
	if !sawWrite {
		t.Fatalf("no successful dual INSERT outcome in %+v", outcomes)
	}
}

func TestBatchUnpreparedOnTarget(t *testing.T) {
	e := newEnv(t, envOpts{})
	s := e.session(t, nil)
	run := func() error {
		b := s.Batch(gocql.UnloggedBatch)
		b.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", "a", "1")
		return b.Exec()
	}
	if err := run(); err != nil {
		t.Fatal(err)
	}
	e.target.ForgetPrepared()
	if err := run(); err != nil {
		t.Fatalf("batch after target forgot the statement: %v", err)
	}
	n := 0
	for _, r := range e.target.Received() {
		if r.Opcode == primitive.OpCodeBatch && len(r.Children) == 1 && r.Children[0] == "INSERT INTO ks.t (k, v) VALUES (?, ?)" {
			n++
		}
	}
	if n < 2 {
		t.Fatalf("target ran the batch %d times with a known id, want 2", n)
	}
}

func TestV5ResultMetadataIDMapped(t *testing.T) {
	e := newEnv(t, envOpts{})
	s := e.session(t, func(c *gocql.ClusterConfig) { c.ProtoVersion = 5 })
	var cluster, value string
	if err := s.Query("SELECT cluster, value FROM ks.t WHERE k = ?", "a").Scan(&cluster, &value); err != nil {
		t.Fatal(err)
	}
	st := *e.srv.Settings()
	st.Primary = proxy.Target
	e.srv.SetSettings(st)
	if err := s.Query("SELECT cluster, value FROM ks.t WHERE k = ?", "a").Scan(&cluster, &value); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*cqltest.Cluster{e.origin, e.target} {
		for _, r := range c.Received() {
			if r.Opcode == primitive.OpCodeExecute && strings.HasPrefix(r.Query, "SELECT cluster") {
				if len(r.MetaID) == 0 || r.Query == "" {
					t.Fatalf("%s: EXECUTE without a known id/metadata id: %+v", c.Name, r)
				}
				return
			}
		}
	}
}
