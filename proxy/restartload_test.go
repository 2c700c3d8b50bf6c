//go:build restartload

package proxy_test

// The restart-under-load harness: 3 real zdm-proxy processes on 127.0.0.11,
// .12 and .13 in front of in-memory clusters, a gocql session driving a
// steady load through them, and a systemd-like restart of one proxy at a
// time (SIGTERM, wait for exit, start, wait for /health/readiness, then the
// rolling update's healthy-for and pause). Every request the driver gives
// up on is counted against the restart in progress and classified.
//
//	go test -tags restartload -run TestRestartUnderLoad -v -timeout 30m ./proxy/
//
// RESTARTLOAD_RESTARTS (default 30), RESTARTLOAD_WORKERS (default 4) and
// RESTARTLOAD_MODE (literal: the e2e load, a new statement text per INSERT,
// which gocql prepares every time; bound: prepared statements with bind
// markers, as applications usually run), RESTARTLOAD_RECONNECT_MS (the
// driver's ReconnectInterval, default 200 like the e2e load; gocql's own
// default is 60000) and RESTARTLOAD_HEALTHY_FOR_MS / RESTARTLOAD_PAUSE_MS
// (the wait after readiness before the next restart, default 2000 + 1000
// like the e2e rolling update; zdmctl's defaults are 10000 + 5000) tune it;
// RESTARTLOAD_PROXY_BIN runs another zdm-proxy build instead of this tree's;
// RESTARTLOAD_IDEMPOTENT=false sends the statements as not idempotent;
// RESTARTLOAD_RETRY=none runs gocql without a retry policy (its default);
// RESTARTLOAD_CLIENT=python or java drives the same load (bound; idempotent
// unless RESTARTLOAD_IDEMPOTENT=false) with the DataStax Python driver or the Java driver 4 instead of
// gocql (e2e/drivers/python/load.py, e2e/drivers/java Load).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/internal/cqltest"
)

var restartIPs = []string{"127.0.0.11", "127.0.0.12", "127.0.0.13"}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// buildProxy builds cmd/zdm-proxy once into a temporary directory.
func buildProxy(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("RESTARTLOAD_PROXY_BIN"); bin != "" { // compare another build
		return bin
	}
	bin := filepath.Join(t.TempDir(), "zdm-proxy")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/zdm-proxy")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build zdm-proxy: %v\n%s", err, out)
	}
	return bin
}

// commonPort: peerwatch_test.go.

// proxyProc is one zdm-proxy process, restartable.
type proxyProc struct {
	bin, ip string
	env     []string
	logPath string
	cmd     *exec.Cmd
	exited  chan error
	metrics string // host:port of the admin server
}

func (p *proxyProc) start(t *testing.T) {
	t.Helper()
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(p.bin)
	p.cmd.Env = append(os.Environ(), p.env...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start zdm-proxy on %s: %v", p.ip, err)
	}
	p.exited = make(chan error, 1)
	go func() { p.exited <- p.cmd.Wait(); logf.Close() }()
}

// waitReady polls /health/readiness until it answers 200.
func (p *proxyProc) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.exited:
			t.Fatalf("zdm-proxy on %s exited during startup: %v\n%s", p.ip, err, tailFile(p.logPath, 20))
		default:
		}
		resp, err := http.Get("http://" + p.metrics + "/health/readiness")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("zdm-proxy on %s never became ready\n%s", p.ip, tailFile(p.logPath, 20))
}

// stop sends SIGTERM and waits for the process to exit, like systemctl stop.
func (p *proxyProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM zdm-proxy on %s: %v", p.ip, err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("zdm-proxy on %s exited with %v\n%s", p.ip, err, tailFile(p.logPath, 20))
		}
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Fatalf("zdm-proxy on %s did not exit within 60 s of SIGTERM", p.ip)
	}
}

func tailFile(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// failureClass names why the driver gave up on a request.
func failureClass(err error) string {
	var overloaded *gocql.RequestErrOverloaded
	var bootstrapping *gocql.RequestErrBootstrapping
	switch {
	case errors.As(err, &bootstrapping):
		return "IS_BOOTSTRAPPING (draining proxy)"
	case errors.Is(err, context.Canceled):
		return "context canceled (driver connection closed under the request; gocql does not retry)"
	case errors.Is(err, context.DeadlineExceeded):
		return "client deadline exceeded"
	case errors.As(err, &overloaded):
		return "OVERLOADED"
	case errors.Is(err, gocql.ErrConnectionClosed):
		return "connection closed waiting for response"
	case errors.Is(err, gocql.ErrNoConnections):
		return "no connections (every host down)"
	case errors.Is(err, gocql.ErrTimeoutNoResponse):
		return "request timeout"
	}
	msg := err.Error()
	for _, s := range []string{"EOF", "broken pipe", "connection reset by peer", "use of closed network connection"} {
		if strings.Contains(msg, s) {
			return "connection lost: " + s
		}
	}
	return "other: " + msg
}

// attemptLog counts failed attempts the driver retried, by class.
type attemptLog struct {
	mu     sync.Mutex
	failed map[string]int
}

func (a *attemptLog) ObserveQuery(_ context.Context, q gocql.ObservedQuery) {
	if q.Err == nil {
		return
	}
	a.mu.Lock()
	a.failed[failureClass(q.Err)]++
	a.mu.Unlock()
}

func (a *attemptLog) snapshot() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := make(map[string]int, len(a.failed))
	for k, v := range a.failed {
		m[k] = v
	}
	return m
}

// clients is the proxy's zdm_client_connections_total, -1 when unknown.
func (p *proxyProc) clients() int {
	resp, err := http.Get("http://" + p.metrics + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "zdm_client_connections_total "); ok {
			if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return int(n)
			}
		}
	}
	return -1
}

// restartWindow collects the outcome of requests that ended while one
// restart was in progress (from its SIGTERM to the next restart's).
type restartWindow struct {
	proxy    string
	clients  int       // the proxy's client connections just before SIGTERM
	start    time.Time // SIGTERM
	ok       atomic.Int64
	mu       sync.Mutex
	failures map[string]int
	examples []string
}

func (w *restartWindow) fail(err error) { w.failAs(failureClass(err), err.Error()) }

// failAs counts a failure of class, keeping the first messages as examples.
func (w *restartWindow) failAs(class, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.failures[class]++
	if len(w.examples) < 3 {
		w.examples = append(w.examples, fmt.Sprintf("+%dms %s", time.Since(w.start).Milliseconds(), msg))
	}
}

func (w *restartWindow) failed() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, v := range w.failures {
		n += v
	}
	return n
}

func TestRestartUnderLoad(t *testing.T) {
	restarts := envInt("RESTARTLOAD_RESTARTS", 30)
	workers := envInt("RESTARTLOAD_WORKERS", 4)
	mode := os.Getenv("RESTARTLOAD_MODE")
	if mode == "" {
		mode = "literal"
	}
	if mode != "literal" && mode != "bound" {
		t.Fatalf("RESTARTLOAD_MODE=%q: want literal or bound", mode)
	}
	idempotent := os.Getenv("RESTARTLOAD_IDEMPOTENT") != "false"
	bin := buildProxy(t)
	origin := cqltest.Start(t, cqltest.Options{Name: "origin", IDSalt: "o"})
	target := cqltest.Start(t, cqltest.Options{Name: "target", IDSalt: "t"})
	port := commonPort(t, restartIPs)
	mport := commonPort(t, restartIPs)
	logDir := t.TempDir()
	if d := os.Getenv("RESTARTLOAD_LOGDIR"); d != "" {
		logDir = d
	}
	procs := make([]*proxyProc, len(restartIPs))
	for i, ip := range restartIPs {
		procs[i] = &proxyProc{bin: bin, ip: ip, logPath: filepath.Join(logDir, "zdm-proxy-"+ip+".log"),
			metrics: net.JoinHostPort(ip, strconv.Itoa(mport)),
			env: []string{
				"ZDM_ORIGIN_CONTACT_POINTS=" + origin.Host(), "ZDM_ORIGIN_PORT=" + strconv.Itoa(origin.Port()),
				"ZDM_TARGET_CONTACT_POINTS=" + target.Host(), "ZDM_TARGET_PORT=" + strconv.Itoa(target.Port()),
				"ZDM_PROXY_LISTEN_ADDRESS=" + ip, "ZDM_PROXY_LISTEN_PORT=" + strconv.Itoa(port),
				"ZDM_PROXY_TOPOLOGY_ADDRESSES=" + strings.Join(restartIPs, ","),
				"ZDM_PROXY_TOPOLOGY_INDEX=" + strconv.Itoa(i),
				"ZDM_METRICS_ADDRESS=" + ip, "ZDM_METRICS_PORT=" + strconv.Itoa(mport),
				// One listener for metrics and the admin API: no second
				// port to pick per proxy.
				"ZDM_ADMIN_ADDRESS=" + ip, "ZDM_ADMIN_PORT=" + strconv.Itoa(mport),
				"ZDM_HEARTBEAT_INTERVAL_MS=1000",
			}}
		if g := os.Getenv("RESTARTLOAD_GRACE_MS"); g != "" {
			procs[i].env = append(procs[i].env, "ZDM_PROXY_SHUTDOWN_GRACE_MS="+g)
		}
		procs[i].start(t)
	}
	t.Cleanup(func() {
		for _, p := range procs {
			if p.cmd != nil && p.cmd.ProcessState == nil {
				_ = p.cmd.Process.Signal(syscall.SIGKILL)
				<-p.exited
			}
		}
	})
	for _, p := range procs {
		p.waitReady(t)
	}

	var cur atomic.Pointer[restartWindow]
	warm := &restartWindow{proxy: "(warm-up)", start: time.Now(), failures: map[string]int{}}
	cur.Store(warm)
	client := os.Getenv("RESTARTLOAD_CLIENT")
	var load *loadRun
	switch client {
	case "", "gocql":
		client = "gocql"
		load = startGocqlLoad(t, port, workers, mode, idempotent, &cur)
	case "python", "java":
		mode = "bound"
		load = startDriverLoad(t, client, port, workers, idempotent, &cur)
	default:
		t.Fatalf("RESTARTLOAD_CLIENT=%q: want gocql, python or java", client)
	}

	healthyFor := time.Duration(envInt("RESTARTLOAD_HEALTHY_FOR_MS", 2000)) * time.Millisecond
	pause := time.Duration(envInt("RESTARTLOAD_PAUSE_MS", 1000)) * time.Millisecond
	time.Sleep(2 * time.Second)
	windows := []*restartWindow{warm}
	for r := 0; r < restarts; r++ {
		p := procs[r%len(procs)]
		win := &restartWindow{proxy: p.ip, start: time.Now(), failures: map[string]int{}, clients: p.clients()}
		windows = append(windows, win)
		cur.Store(win)
		p.stop(t)
		p.start(t)
		p.waitReady(t)
		time.Sleep(healthyFor + pause)
	}
	load.stop()

	var total, failed, idle int
	byClass := map[string]int{}
	for i, w := range windows {
		n := w.failed()
		total += int(w.ok.Load()) + n
		failed += n
		line := fmt.Sprintf("%-3d %-11s clients=%-2d ok=%-5d failed=%d", i, w.proxy, w.clients, w.ok.Load(), n)
		if i > 0 && w.clients == 0 {
			idle++
		}
		if n > 0 {
			w.mu.Lock()
			for k, v := range w.failures {
				byClass[k] += v
				line += fmt.Sprintf(" [%d %s]", v, k)
			}
			line += " e.g. " + strings.Join(w.examples, " | ")
			w.mu.Unlock()
		}
		t.Log(line)
	}
	retried := load.attempts.snapshot()
	keys := make([]string, 0, len(retried))
	for k := range retried {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("failed attempts (the driver retried all but the failed requests above): %d %s", retried[k], k)
	}
	t.Logf("client=%s mode=%s idempotent=%v restarts=%d workers=%d reconnect=%v gate=%v requests=%d failed=%d",
		client, mode, idempotent, restarts, workers, load.reconnect, healthyFor+pause, total, failed)
	if idle > 0 {
		t.Errorf("%d restarts hit a proxy with no client connection: the driver did not come back to it after its previous restart", idle)
	}
	if failed > 0 {
		t.Errorf("%d of %d requests failed across %d restarts: %v (proxy logs in %s)", failed, total, restarts, byClass, logDir)
	}
}

// loadRun is a running client load; stop ends it and waits for it.
type loadRun struct {
	stop      func()
	attempts  *attemptLog // failed attempts the driver retried (gocql only)
	reconnect time.Duration
}

// startGocqlLoad drives the load with gocql in this process.
func startGocqlLoad(t *testing.T, port, workers int, mode string, idempotent bool, cur *atomic.Pointer[restartWindow]) *loadRun {
	// The driver settings of the e2e load (e2e/zdm_load_test.go).
	cl := gocql.NewCluster(restartIPs...)
	cl.Port = port
	cl.Timeout = 5 * time.Second
	cl.ConnectTimeout = 5 * time.Second
	cl.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 5}
	if os.Getenv("RESTARTLOAD_RETRY") == "none" {
		cl.RetryPolicy = nil
	}
	cl.ReconnectInterval = time.Duration(envInt("RESTARTLOAD_RECONNECT_MS", 200)) * time.Millisecond
	attempts := &attemptLog{failed: map[string]int{}}
	cl.QueryObserver = attempts
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatalf("gocql session through the proxies: %v", err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := strconv.Itoa(w) + "-" + strconv.Itoa(i)
				var q *gocql.Query
				switch {
				case i%2 == 1:
					q = s.Query("SELECT k FROM ks.t WHERE k = 'a'")
				case mode == "bound":
					q = s.Query("INSERT INTO ks.t (k) VALUES (?)", key)
				default:
					q = s.Query("INSERT INTO ks.t (k) VALUES ('" + key + "')")
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				err := q.Idempotent(idempotent).ExecContext(ctx)
				cancel()
				win := cur.Load()
				if err != nil {
					win.fail(err)
				} else {
					win.ok.Add(1)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}

	return &loadRun{
		stop:      func() { close(stop); wg.Wait(); s.Close() },
		attempts:  attempts,
		reconnect: cl.ReconnectInterval,
	}
}
