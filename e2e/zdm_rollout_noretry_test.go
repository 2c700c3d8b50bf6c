//go:build e2e

package e2e

// TestZDMRolloutNoRetries: 3 real zdm-proxy hosts deployed by zdmctl, a
// steady gocql load WITHOUT a retry policy and with statements left
// non-idempotent (gocql's defaults), and every rollout step in sequence.
// Every request must succeed: the drain is announced by every peer
// (proxy/peernotice) and readiness gates each step (issue 10).

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// stepLoad counts one rollout step's requests.
type stepLoad struct {
	name       string
	ok, failed atomic.Int64
	mu         sync.Mutex
	errs       map[string]int
	took       time.Duration
}

func (s *stepLoad) fail(err error) {
	s.failed.Add(1)
	s.mu.Lock()
	s.errs[err.Error()]++
	s.mu.Unlock()
}

func TestZDMRolloutNoRetries(t *testing.T) {
	f := SharedFleet(t)
	e := newZDMEnv(t, f)
	if !zdmRealProxy {
		t.Skip("needs the real zdm-proxy (ZDMCTL_E2E_PROXY=real)")
	}
	// Peers reach each other's drain notices on the metrics listener.
	e.vars["metrics_address"] = "0.0.0.0"
	e.writeInventory()
	gate := []string{"--healthy-for", "2s", "--pause", "1s", "--ready-timeout", "60s"}
	t.Cleanup(func() { e.cleanupRun("teardown", "--yes") })
	if r := e.run(append([]string{"deploy"}, gate...)...); r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s", r.code, r.err)
	}
	// The upgrade: the same source built with another version string, so
	// its SHA-256 (and the binary deploy installs) differs.
	upgraded := filepath.Join(t.TempDir(), "zdm-proxy")
	build := exec.Command("go", "build", "-o", upgraded, "-ldflags", "-X github.com/zdmctl/zdmctl/internal/version.Version=e2e-upgrade", "./cmd/zdm-proxy")
	build.Dir = repoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the upgrade: %v\n%s", err, out)
	}

	var addrs []string
	for _, h := range e.hosts {
		addrs = append(addrs, h.Address)
	}
	cl := gocql.NewCluster(addrs...)
	cl.Port = 9042
	cl.Timeout = 5 * time.Second
	cl.ConnectTimeout = 5 * time.Second
	cl.RetryPolicy = nil // no retries: gocql's default
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
	defer s.Close()

	var cur atomic.Pointer[stepLoad]
	warm := &stepLoad{name: "warm-up", errs: map[string]int{}}
	cur.Store(warm)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var q *gocql.Query
				switch i % 3 {
				case 0: // not idempotent (gocql's default for every statement)
					q = s.Query("INSERT INTO ks.t (k) VALUES (?)", strconv.Itoa(w)+"-"+strconv.Itoa(i))
				case 1:
					q = s.Query("UPDATE ks.t SET n = n + 1 WHERE k = ?", "c")
				default:
					q = s.Query("SELECT k FROM ks.t WHERE k = 'a'")
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				err := q.ExecContext(ctx)
				cancel()
				st := cur.Load()
				if err != nil {
					st.fail(err)
				} else {
					st.ok.Add(1)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	time.Sleep(2 * time.Second)

	steps := []struct {
		name string
		args []string
	}{
		{"rolling-restart", []string{"rolling-restart"}},
		{"read_mode DUAL_ASYNC_ON_SECONDARY", []string{"rolling-update", "--read-mode", "DUAL_ASYNC_ON_SECONDARY"}},
		{"read_mode PRIMARY_ONLY", []string{"rolling-update", "--read-mode", "PRIMARY_ONLY"}},
		{"primary_cluster TARGET", []string{"rolling-update", "--primary-cluster", "TARGET"}},
		{"primary_cluster ORIGIN", []string{"rolling-update", "--primary-cluster", "ORIGIN"}},
		{"deploy upgraded binary", []string{"deploy", "--proxy-binary", upgraded}},
		{"rolling-restart again", []string{"rolling-restart"}},
	}
	all := []*stepLoad{warm}
	for _, step := range steps {
		st := &stepLoad{name: step.name, errs: map[string]int{}}
		all = append(all, st)
		cur.Store(st)
		start := time.Now()
		r := e.run(append(step.args, gate...)...)
		st.took = time.Since(start)
		if r.code != 0 {
			close(stop)
			wg.Wait()
			t.Fatalf("%s: exit %d\n%s", step.name, r.code, r.err)
		}
	}
	tail := &stepLoad{name: "after", errs: map[string]int{}}
	all = append(all, tail)
	cur.Store(tail)
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	var ok, failed int64
	for _, st := range all {
		ok += st.ok.Load()
		failed += st.failed.Load()
		t.Logf("driver=gocql step=%-34q took=%-8s ok=%-6d errors=%d %v", st.name, st.took.Round(100*time.Millisecond), st.ok.Load(), st.failed.Load(), st.errs)
	}
	t.Logf("driver=gocql total ok=%d errors=%d", ok, failed)
	if failed > 0 {
		t.Errorf("%d of %d requests failed without retries across the rollout", failed, ok+failed)
	}
}
