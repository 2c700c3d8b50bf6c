package proxy_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/zdmctl/zdmctl/internal/cqltest"
)

// freezeGate forwards TCP to a backend; frozen, it keeps every connection
// open and accepts new ones but forwards nothing, like a node stopped with
// SIGSTOP: the kernel still completes handshakes, nobody answers.
type freezeGate struct {
	ln      net.Listener
	backend string
	mu      sync.Mutex
	cond    *sync.Cond
	frozen  bool
}

func newFreezeGate(t *testing.T, backend string) *freezeGate {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &freezeGate{ln: ln, backend: backend}
	g.cond = sync.NewCond(&g.mu)
	t.Cleanup(func() { g.freeze(false); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", backend)
			if err != nil {
				c.Close()
				continue
			}
			go func() { g.copy(b, c); b.Close() }()
			go func() { g.copy(c, b); c.Close() }()
		}
	}()
	return g
}

func (g *freezeGate) port() string { return itoa(g.ln.Addr().(*net.TCPAddr).Port) }

func (g *freezeGate) freeze(on bool) {
	g.mu.Lock()
	g.frozen = on
	g.mu.Unlock()
	g.cond.Broadcast()
}

// copy forwards src to dst, holding every chunk while the gate is frozen.
func (g *freezeGate) copy(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			g.mu.Lock()
			for g.frozen {
				g.cond.Wait()
			}
			g.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// untilCode polls readiness until it answers code and returns how long
// that took; it fails the test after limit (a generous bound, not the
// design target: see OPERATIONS.md for measured figures).
func untilCode(t *testing.T, o *observed, code int, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < limit {
		if c, _ := readiness(t, o); c == code {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("readiness not %d after %s", code, limit)
	return 0
}

// A backend that freezes (TCP open, no answers) turns readiness off within
// seconds, with the default 30 s heartbeat interval, and back on within
// seconds of answering again. Before issue 10 it stayed 200 until the
// next heartbeat, up to 30 s.
func TestReadinessFollowsFrozenBackend(t *testing.T) {
	var g *freezeGate
	o := newObserved(t, envOpts{lateEnv: func(e *env) []string {
		g = newFreezeGate(t, net.JoinHostPort(e.target.Host(), itoa(e.target.Port())))
		return []string{"ZDM_TARGET_PORT=" + g.port()}
	}})
	waitFor(t, "ready", func() bool { code, _ := readiness(t, o); return code == http.StatusOK })
	for round := 0; round < 2; round++ {
		time.Sleep(1500 * time.Millisecond) // a few good probes first
		g.freeze(true)
		down := untilCode(t, o, http.StatusServiceUnavailable, 8*time.Second)
		_, r := readiness(t, o)
		if len(r.FailingClusters) != 1 || r.FailingClusters[0] != "target" || r.Reason == "" {
			t.Fatalf("want target failing with a reason, got %+v", r)
		}
		g.freeze(false)
		up := untilCode(t, o, http.StatusOK, 8*time.Second)
		t.Logf("round %d: frozen -> 503 in %s (%s); thawed -> 200 in %s", round, down.Round(time.Millisecond), r.Reason, up.Round(time.Millisecond))
	}
}

// One slow answer must not flip readiness: under a steady load where one
// request in 25 takes longer than both a probe's timeout and the request
// timeout (so it fails in-band), the probes keep succeeding and readiness
// stays 200 throughout.
func TestReadinessSteadyUnderSlowRequests(t *testing.T) {
	o := newObserved(t, envOpts{extraEnv: []string{"ZDM_PROXY_REQUEST_TIMEOUT_MS=1000"}})
	var n sync.Mutex
	count := 0
	o.env.target.SetHook(func(cqltest.Received) cqltest.Action {
		n.Lock()
		defer n.Unlock()
		count++
		if count%25 == 0 {
			return cqltest.Action{Delay: 1200 * time.Millisecond}
		}
		return cqltest.Action{}
	})
	waitFor(t, "ready", func() bool { code, _ := readiness(t, o); return code == http.StatusOK })
	sess := o.env.session(t, func(c *gocql.ClusterConfig) { c.NumConns = 4 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var errs sync.Map
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := sess.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", "k", "v").Exec(); err != nil {
					errs.Store(err.Error(), true)
				}
			}
		}()
	}
	notReady := 0
	var why string
	for ctx.Err() == nil {
		if c, r := readiness(t, o); c != http.StatusOK {
			notReady++
			why = r.Reason
		}
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	timeouts := 0
	errs.Range(func(any, any) bool { timeouts++; return true })
	if timeouts == 0 {
		t.Fatal("no request timed out: the test does not exercise in-band failures")
	}
	if notReady > 0 {
		t.Fatalf("readiness went non-200 %d times under load: %s", notReady, why)
	}
}
