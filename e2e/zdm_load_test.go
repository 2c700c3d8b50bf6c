//go:build e2e

package e2e

// Origin and Target are in-memory CQL clusters (internal/cqltest) on the
// fleet's bridge address, for TestZDM too. TestZDMClientLoad runs gocql load
// through the real zdm-proxy (admin API, SIGHUP reload, config_sha256); it
// skips while the stand-in proxy is used.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/zdmctl/zdmctl/internal/cqltest"
)

func init() {
	zdmClusters = func(t testing.TB, bridge string) (int, int) {
		listen := net.JoinHostPort(bridge, "0")
		origin := cqltest.Start(t, cqltest.Options{Name: "origin", Username: "cassandra", Password: "origin-s3cret", Listen: listen})
		target := cqltest.Start(t, cqltest.Options{Name: "target", Listen: listen})
		return origin.Port(), target.Port()
	}
}

// load runs queries through every proxy until stop is closed and counts
// the ones that failed after the driver's retries.
type load struct {
	ok, failed atomic.Int64
	// closedMidRequest counts failures where the driver reports its
	// connection went away under a request (gocql says "context canceled"
	// for a request caught by a closing connection and does not retry it).
	closedMidRequest atomic.Int64
	lastErr          atomic.Value
	errMu            sync.Mutex
	errAt            []string  // when and what failed (the first 20)
	errTimes         []float64 // unix seconds of every failure
	stop             chan struct{}
	wg               sync.WaitGroup
}

func startLoad(t *testing.T, e *zdmEnv) *load {
	return startLoadWith(t, e, &gocql.SimpleRetryPolicy{NumRetries: 5})
}

// startLoadWith is startLoad with the driver's retry policy (nil: none,
// every error reaches the application).
func startLoadWith(t *testing.T, e *zdmEnv, retry gocql.RetryPolicy) *load {
	var addrs []string
	for _, h := range e.hosts {
		addrs = append(addrs, h.Address)
	}
	cl := gocql.NewCluster(addrs...)
	cl.Port = 9042
	cl.Timeout = 5 * time.Second
	cl.ConnectTimeout = 5 * time.Second
	cl.RetryPolicy = retry
	cl.ReconnectInterval = 200 * time.Millisecond
	cl.Authenticator = gocql.PasswordAuthenticator{Username: "cassandra", Password: "origin-s3cret"}
	var s *gocql.Session
	var err error
	for i := 0; i < 50; i++ {
		if s, err = cl.CreateSession(); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("gocql session through the proxies: %v", err)
	}
	l := &load{stop: make(chan struct{})}
	for w := 0; w < 4; w++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				// Bound values, as applications run: gocql prepares every
				// new statement text, and fails a PREPARE caught by a
				// closing connection with "context canceled" without
				// retrying it (see proxy/OPERATIONS.md, restarts).
				q := s.Query("INSERT INTO ks.t (k) VALUES (?)", strconv.Itoa(i)).Idempotent(true)
				if i%2 == 1 {
					q = s.Query("SELECT k FROM ks.t WHERE k = 'a'").Idempotent(true)
				}
				err := q.ExecContext(ctx)
				cancel()
				if err != nil {
					l.failed.Add(1)
					if errors.Is(err, context.Canceled) {
						l.closedMidRequest.Add(1)
					}
					l.lastErr.Store(err.Error())
					l.errMu.Lock()
					l.errTimes = append(l.errTimes, float64(time.Now().UnixMicro())/1e6)
					if len(l.errAt) < 20 {
						l.errAt = append(l.errAt, fmt.Sprintf("%.3f %v", float64(time.Now().UnixMilli())/1000, err))
					}
					l.errMu.Unlock()
				} else {
					l.ok.Add(1)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	t.Cleanup(func() { s.Close() })
	return l
}

// stopAndCount stops the load and returns the requests and when each
// failed one failed (unix seconds).
func (l *load) stopAndCount() (total int64, failedAt []float64) {
	close(l.stop)
	l.wg.Wait()
	l.errMu.Lock()
	defer l.errMu.Unlock()
	return l.ok.Load() + l.failed.Load(), append([]float64(nil), l.errTimes...)
}

// finish stops the load and fails the test when a request failed after
// the driver's retries: reloads and restarts alike must drop nothing
// (proxy/restartload_test.go measures restarts at scale).
func (l *load) finish(t *testing.T, what string) {
	close(l.stop)
	l.wg.Wait()
	t.Logf("%s: %d requests, %d failed", what, l.ok.Load()+l.failed.Load(), l.failed.Load())
	if l.ok.Load() == 0 {
		t.Errorf("%s: no request succeeded", what)
	}
	if n := l.failed.Load(); n > 0 {
		t.Errorf("%s: %d of %d requests failed, %d of them caught by a closing connection (last: %v); at (unix time): %s",
			what, n, n+l.ok.Load(), l.closedMidRequest.Load(), l.lastErr.Load(), strings.Join(l.errAt, "; "))
	}
}

func TestZDMClientLoad(t *testing.T) {
	f := SharedFleet(t)
	e := newZDMEnv(t, f)
	if !zdmRealProxy {
		t.Skip("needs the real zdm-proxy serving its admin API (ZDMCTL_E2E_PROXY=real)")
	}
	gate := []string{"--healthy-for", "2s", "--pause", "1s", "--ready-timeout", "60s"}
	t.Cleanup(func() { e.cleanupRun("teardown", "--yes", "--force", "--reason", "e2e cleanup") })
	if r := e.run(append([]string{"deploy"}, gate...)...); r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s", r.code, r.err)
	}

	t.Run("ReloadDropsNothing", func(t *testing.T) {
		pids := map[string]string{}
		for _, h := range e.hosts {
			pids[h.Name] = e.mainPID(h.Name)
		}
		l := startLoad(t, e)
		r := e.run(append([]string{"rolling-update", "--read-mode", "DUAL_ASYNC_ON_SECONDARY"}, gate...)...)
		l.finish(t, "read_mode by reload")
		if r.code != 0 {
			t.Fatalf("rolling-update: exit %d\n%s", r.code, r.err)
		}
		for _, h := range e.hosts {
			if e.mainPID(h.Name) != pids[h.Name] {
				t.Errorf("%s restarted for a reloadable change", h.Name)
			}
		}
		d, _ := e.status()
		if !d.OK || d.Phase.Number != 3 {
			t.Fatalf("status: %+v", d)
		}
	})

	t.Run("PrimaryClusterByReload", func(t *testing.T) {
		l := startLoad(t, e)
		r := e.run(append([]string{"rolling-update", "--primary-cluster", "TARGET"}, gate...)...)
		l.finish(t, "primary_cluster by reload")
		if r.code != 0 {
			t.Fatalf("rolling-update: exit %d\n%s", r.code, r.err)
		}
	})

	t.Run("RestartUnderLoad", func(t *testing.T) {
		// Default gates: after each restart the gate waits for the
		// clients the proxy had to come back (evidence), then the short
		// stability window; no fixed pause.
		l := startLoad(t, e)
		r := e.run("rolling-update", "--set", "proxy_max_stream_ids=1024", "-o", "json")
		l.finish(t, "restart")
		if r.code != 0 {
			t.Fatalf("rolling-update: exit %d\n%s", r.code, r.err)
		}
		back := taskOutputs(t, r.out, "clients back")
		for _, h := range e.hosts {
			if !strings.Contains(back[h.Name], "clients back on this proxy: ") {
				t.Errorf("%s: the gate did not wait for its clients: %q", h.Name, back[h.Name])
			}
		}
		if n := strings.Count(r.err, "across the fleet"); n != len(e.hosts) {
			t.Errorf("the fleet's clients were checked after %d of %d hosts:\n%s", n, len(e.hosts), tail(r.err, 20))
		}
		t.Logf("rolling restart of %d hosts under load, default gates: %s; clients back: %v", len(e.hosts), r.took, back)
	})
}
