//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/zdmctl/zdmctl/internal/testcluster"
)

// startAsyncFleet starts the two proxies in write_mode
// DUAL_ASYNC_ON_SECONDARY, each with a journal, and opens a gocql session
// through each; cfgs are their config files, for `zdm-proxy journal`.
func startAsyncFleet(t *testing.T, c *testcluster.Clusters) (fleet []*proxyProc, cfgs []string, sessions []*gocql.Session) {
	t.Helper()
	for i := range proxyFleetHosts {
		o := proxyOpts{Extra: map[string]string{"write_mode": "DUAL_ASYNC_ON_SECONDARY", "journal_dir": t.TempDir(),
			"proxy_request_timeout_ms": "3000"}}
		fleet = append(fleet, startProxy(t, c, o, i))
		cfg := filepath.Join(t.TempDir(), "replay.yml")
		if err := os.WriteFile(cfg, []byte(proxyConfigYAML(c, o, i)), 0o600); err != nil {
			t.Fatal(err)
		}
		cfgs = append(cfgs, cfg)
	}
	for _, p := range fleet {
		s, err := newSession(p.Addr, c.Endpoint(testcluster.Target))
		if err != nil {
			t.Fatalf("session through %s: %v", p.Addr, err)
		}
		t.Cleanup(s.Close)
		sessions = append(sessions, s)
	}
	return fleet, cfgs, sessions
}

// gocqlWriters runs workers goroutines writing ins (k int, v text) with
// fresh keys through sessions, round robin, pausing 5 ms between writes.
type gocqlWriters struct {
	acked      sync.Map // k -> v
	next, errs atomic.Int64
	lastErr    atomic.Value
	stopc      chan struct{}
	wg         sync.WaitGroup
}

func startGocqlWriters(ctx context.Context, sessions []*gocql.Session, ins string, workers int) *gocqlWriters {
	g := &gocqlWriters{stopc: make(chan struct{})}
	for w := 0; w < workers; w++ {
		g.wg.Add(1)
		go func(s *gocql.Session) {
			defer g.wg.Done()
			for {
				select {
				case <-g.stopc:
					return
				default:
				}
				k := int(g.next.Add(1))
				v := fmt.Sprintf("v%d", k)
				if err := s.Query(ins, k, v).WithContext(ctx).Exec(); err != nil {
					g.errs.Add(1)
					g.lastErr.Store(err.Error())
					continue
				}
				g.acked.Store(k, v)
				time.Sleep(5 * time.Millisecond)
			}
		}(sessions[w%len(sessions)])
	}
	return g
}

// stop ends the load and returns the acknowledged writes.
func (g *gocqlWriters) stop() map[int]string {
	close(g.stopc)
	g.wg.Wait()
	out := map[int]string{}
	g.acked.Range(func(k, v any) bool { out[k.(int)] = v.(string); return true })
	return out
}

// journalTotals sums `zdm-proxy journal status` over the proxies' configs.
func journalTotals(t *testing.T, bin string, cfgs []string) (pending, repair float64) {
	t.Helper()
	for _, cfg := range cfgs {
		st := journalJSON(t, bin, "status", "--config", cfg)["status"].(map[string]any)
		pending += st["pending"].(float64)
		repair += st["needs_repair"].(float64)
	}
	return pending, repair
}

// replayJournals runs `zdm-proxy journal replay` for every config and
// fails t unless each journal is left empty; it returns the records
// replayed.
func replayJournals(t *testing.T, bin string, cfgs []string) float64 {
	t.Helper()
	var replayed float64
	for _, cfg := range cfgs {
		rp := journalJSON(t, bin, "replay", "--config", cfg, "--rate", "2000")["replay"].(map[string]any)
		replayed += rp["replayed"].(float64)
		if rp["remaining"].(float64) != 0 {
			t.Fatalf("replay left records: %v", rp)
		}
	}
	return replayed
}

// readValues reads k, v, WRITETIME(v) of table (k is any type gocql scans
// into K) from one cluster.
func readValues[K comparable](t *testing.T, ctx context.Context, ep testcluster.Endpoint, table string) map[K][2]any {
	t.Helper()
	s := clusterSession(t, ep)
	out := map[K][2]any{}
	it := s.Query("SELECT k, v, WRITETIME(v) FROM " + table).WithContext(ctx).PageSize(5000).Iter()
	var k K
	var v string
	var wt int64
	for it.Scan(&k, &v, &wt) {
		out[k] = [2]any{v, wt}
	}
	if err := it.Close(); err != nil {
		t.Fatalf("read %s on %s: %v", table, ep.Node, err)
	}
	return out
}

// checkOnBoth fails t unless every acknowledged write of acked (key ->
// value) is on Origin and Target with the same value and writetime.
func checkOnBoth[K comparable](t *testing.T, ctx context.Context, c *testcluster.Clusters, table string, acked map[K]string) {
	t.Helper()
	o := readValues[K](t, ctx, c.Endpoint(testcluster.Origin), table)
	tg := readValues[K](t, ctx, c.Endpoint(testcluster.Target), table)
	var missing, differ int
	for k, val := range acked {
		ov, ok1 := o[k]
		tv, ok2 := tg[k]
		switch {
		case !ok1 || !ok2 || ov[0] != val || tv[0] != val:
			missing++
			if missing <= 5 {
				t.Errorf("%s key %v (acknowledged %v): origin %v, target %v", table, k, val, ov, tv)
			}
		case ov[1] != tv[1]:
			differ++
			if differ <= 5 {
				t.Errorf("%s key %v: writetime origin %v, target %v", table, k, ov[1], tv[1])
			}
		}
	}
	if missing+differ > 0 {
		t.Fatalf("%s: %d acknowledged writes missing, %d with a different writetime, of %d", table, missing, differ, len(acked))
	}
	t.Logf("%s: all %d acknowledged writes are on Origin and Target with the same writetime", table, len(acked))
}

// pyWriter runs e2e/drivers/python/load.py (the DataStax Python driver,
// no retries, statements not idempotent) writing to table through the
// proxies; stop returns the keys it acknowledged.
type pyWriter struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	done   chan struct{}
	acked  string
	ok     atomic.Int64
	mu     sync.Mutex
	fails  []string
	failed atomic.Int64
}

func startPyWriter(t *testing.T, repoRoot string, ep testcluster.Endpoint, table string) *pyWriter {
	t.Helper()
	var hosts []string
	hosts = append(hosts, proxyFleetHosts...)
	w := &pyWriter{done: make(chan struct{}), acked: filepath.Join(t.TempDir(), "acked")}
	args := []string{filepath.Join(repoRoot, "e2e/drivers/python/load.py"), "--contacts", strings.Join(hosts, ","),
		"--port", strconv.Itoa(proxyPort), "--workers", "4", "--not-idempotent", "--no-retry", "--table", table, "--acked", w.acked}
	w.cmd = exec.Command("/usr/bin/python3", args...)
	w.cmd.Env = os.Environ()
	if u, p := ep.Credentials(); u != "" {
		w.cmd.Args = append(w.cmd.Args, "--user", u)
		w.cmd.Env = append(w.cmd.Env, "CQL_PASSWORD="+p)
	}
	var err error
	if w.stdin, err = w.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	w.cmd.Stderr = &stderr
	if err := w.cmd.Start(); err != nil {
		t.Fatalf("python load: %v", err)
	}
	ready := make(chan struct{})
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(out)
		readied := false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "READY" && !readied:
				readied = true
				close(ready)
			case strings.HasPrefix(line, "OK "):
				n, _ := strconv.Atoi(strings.TrimPrefix(line, "OK "))
				w.ok.Add(int64(n))
			case strings.HasPrefix(line, "FAIL "):
				w.failed.Add(1)
				w.mu.Lock()
				if len(w.fails) < 5 {
					w.fails = append(w.fails, strings.TrimPrefix(line, "FAIL "))
				}
				w.mu.Unlock()
			}
		}
	}()
	select {
	case <-ready:
	case <-w.done:
		t.Fatalf("python load exited before READY: %s", stderr.String())
	case <-time.After(2 * time.Minute):
		_ = w.cmd.Process.Kill()
		t.Fatalf("python load not READY within 2m: %s", stderr.String())
	}
	t.Cleanup(func() { _ = w.cmd.Process.Kill() })
	return w
}

// stop ends the load and returns its acknowledged keys (value = key).
func (w *pyWriter) stop(t *testing.T) map[string]string {
	t.Helper()
	w.stdin.Close()
	select {
	case <-w.done:
	case <-time.After(60 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
	}
	if err := w.cmd.Wait(); err != nil {
		t.Fatalf("python load: %v", err)
	}
	b, err := os.ReadFile(w.acked)
	if err != nil {
		t.Fatalf("python load's acknowledged keys: %v", err)
	}
	acked := map[string]string{}
	for _, k := range strings.Fields(string(b)) {
		acked[k] = k
	}
	return acked
}

// proxyHTTP GETs path from fleet member i's metrics (14001) or admin
// (14002) listener; it returns the status code and body.
func proxyHTTP(i int, port, path string) (int, string, error) {
	cl := http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Get("http://" + net.JoinHostPort(proxyFleetHosts[i], port) + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// failureReasons sums zdm_secondary_write_failures_total by reason over
// the fleet's /metrics.
func failureReasons(t *testing.T, n int) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for i := 0; i < n; i++ {
		_, body, err := proxyHTTP(i, "14001", "/metrics")
		if err != nil {
			t.Fatalf("metrics of proxy %d: %v", i, err)
		}
		for _, line := range strings.Split(body, "\n") {
			if !strings.HasPrefix(line, "zdm_secondary_write_failures_total{") {
				continue
			}
			j := strings.Index(line, `reason="`)
			sp := strings.LastIndexByte(line, ' ')
			if j < 0 || sp < 0 {
				continue
			}
			reason := line[j+len(`reason="`):]
			reason = reason[:strings.IndexByte(reason, '"')]
			v, _ := strconv.ParseFloat(line[sp+1:], 64)
			out[reason] += v
		}
	}
	return out
}
