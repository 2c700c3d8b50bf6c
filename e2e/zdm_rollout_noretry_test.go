//go:build e2e

package e2e

// TestZDMRolloutNoRetries: 3 real zdm-proxy hosts deployed by zdmctl, a
// steady load WITHOUT retries and with statements not idempotent, from
// gocql (its defaults), the DataStax Python driver (FallthroughRetryPolicy)
// and the Java driver 4 (a policy that retries nothing), plus gocql with
// the settings `zdmctl client-config` prints, and every rollout step in
// sequence. The drain is announced by every peer (proxy/peernotice) and
// readiness gates each step (issue 10). Every request must succeed, but
// for the errors each driver causes itself in a proxy restart when run
// without client-config's settings (noretry_classes_test.go): those are
// counted per step; the load with the settings must lose none.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
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
	"github.com/zdmctl/zdmctl/internal/testfleet"
)

// stepLoad counts one rollout step's requests for one driver load.
type stepLoad struct {
	name       string
	ok, failed atomic.Int64
	mu         sync.Mutex
	errs       map[string]int // every error text
	caused     map[string]int // errors of a driver-caused class, by class
	took       time.Duration
}

func newStep(name string) *stepLoad {
	return &stepLoad{name: name, errs: map[string]int{}, caused: map[string]int{}}
}

// fail counts a failed request; class is its driver-caused class (see
// noretry_classes_test.go), "" when it is none of them.
func (s *stepLoad) fail(text, class string) {
	s.failed.Add(1)
	s.mu.Lock()
	s.errs[text]++
	if class != "" {
		s.caused[class]++
	}
	s.mu.Unlock()
}

// unexplained is the number of failures of no driver-caused class.
func (s *stepLoad) unexplained() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.failed.Load()
	for _, c := range s.caused {
		n -= int64(c)
	}
	return n
}

// driverLoad is one client load and its per-step counts; settings is true
// when it runs with the settings of zdmctl client-config.
type driverLoad struct {
	name     string
	settings bool
	cur      atomic.Pointer[stepLoad]
	steps    []*stepLoad
}

func (d *driverLoad) begin(name string) *stepLoad {
	st := newStep(name)
	d.steps = append(d.steps, st)
	d.cur.Store(st)
	return st
}

// clientConfigDoc is `zdmctl client-config --driver gocql -o json`.
type clientConfigDoc struct {
	OK   bool `json:"ok"`
	Data struct {
		ContactPoints []struct {
			Address string `json:"address"`
			Port    int    `json:"port"`
		} `json:"contact_points"`
		Drivers []struct {
			Driver   string `json:"driver"`
			Settings []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			} `json:"settings"`
		} `json:"drivers"`
	} `json:"data"`
}

// gocqlFromClientConfig builds the gocql cluster config from zdmctl
// client-config's advice, applying every setting it names (an unknown one
// fails the test: the advice and this load must not drift apart).
func gocqlFromClientConfig(t *testing.T, e *zdmEnv, user, pass string) *gocql.ClusterConfig {
	t.Helper()
	r := e.run("client-config", "--driver", "gocql", "-o", "json")
	var doc clientConfigDoc
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil || r.code != 0 || !doc.OK || len(doc.Data.Drivers) != 1 {
		t.Fatalf("zdmctl client-config: exit %d, %v\n%s%s", r.code, err, r.out, r.err)
	}
	var hosts []string
	for _, c := range doc.Data.ContactPoints {
		hosts = append(hosts, c.Address)
	}
	cl := gocql.NewCluster(hosts...)
	cl.Timeout = 5 * time.Second
	cl.ConnectTimeout = 5 * time.Second
	cl.Authenticator = gocql.PasswordAuthenticator{Username: user, Password: pass}
	for _, s := range doc.Data.Drivers[0].Settings {
		var err error
		switch s.Name {
		case "hosts": // the contact points, above
		case "Port":
			cl.Port, err = strconv.Atoi(s.Value)
		case "RetryPolicy":
			var n int
			if _, err = fmt.Sscanf(s.Value, "SimpleRetryPolicy{NumRetries: %d}", &n); err == nil {
				cl.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: n}
			}
		case "DefaultIdempotence":
			cl.DefaultIdempotence, err = strconv.ParseBool(s.Value)
		case "ReconnectInterval":
			cl.ReconnectInterval, err = time.ParseDuration(s.Value)
		case "DefaultTimestamp":
			cl.DefaultTimestamp, err = strconv.ParseBool(s.Value)
		case "PoolConfig.HostSelectionPolicy":
			cl.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.DCAwareRoundRobinPolicy(s.Value))
		case "bind markers": // the load's statements bind every value (safeStatements)
		default:
			t.Fatalf("client-config gocql setting %q (%s): this load does not apply it", s.Name, s.Value)
		}
		if err != nil {
			t.Fatalf("client-config gocql %s = %q: %v", s.Name, s.Value, err)
		}
	}
	if cl.RetryPolicy == nil || !cl.DefaultIdempotence {
		t.Fatalf("client-config gave gocql no retry policy or idempotence: %s", r.out)
	}
	return cl
}

// safeStatements is the client-config load's work in keyspace ks: bind
// markers only, idempotent statements only (no counter update:
// client-config leaves those not idempotent, and then no setting saves
// them).
func safeStatements(ks string) []string {
	return []string{"INSERT INTO " + ks + ".t (k) VALUES (?)", "SELECT k FROM " + ks + ".t WHERE k = ?"}
}

func gocqlSession(t *testing.T, cl *gocql.ClusterConfig) *gocql.Session {
	t.Helper()
	var s *gocql.Session
	var err error
	for i := 0; i < 50; i++ {
		if s, err = cl.CreateSession(); err == nil {
			return s
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("gocql session through the proxies: %v", err)
	return nil
}

// rolloutSource is where the no-retry rollout's Origin and Target come
// from, and what is checked on them after the run.
type rolloutSource struct {
	// env makes the migration whose inventory points the proxies at
	// Origin and Target (nothing deployed yet).
	env        func(t *testing.T, f *testfleet.Fleet) *zdmEnv
	user, pass string // the clients' credentials, through the proxies
	// ks is the loads' keyspace: tables t (k text PRIMARY KEY, v text)
	// and c (k text PRIMARY KEY, n counter).
	ks string
	// verify, when set, checks on Origin and Target themselves that
	// every write the loads had acknowledged is there.
	verify func(t *testing.T, w *rolloutWrites)
}

// rolloutWrites is what the loads were told succeeded.
type rolloutWrites struct {
	mu   sync.Mutex
	keys map[string]string // key of ks.t -> the load that wrote it
	// The gocql load's counter updates of ks.c, key "c" (not idempotent):
	// acknowledged, and failed (each may or may not have been applied).
	counterOK, counterFailed atomic.Int64
}

func (w *rolloutWrites) ack(key, load string) {
	w.mu.Lock()
	w.keys[key] = load
	w.mu.Unlock()
}

func TestZDMRolloutNoRetries(t *testing.T) {
	runRolloutNoRetries(t, rolloutSource{
		env:  func(t *testing.T, f *testfleet.Fleet) *zdmEnv { return newZDMEnv(t, f) },
		user: "cassandra", pass: "origin-s3cret", ks: "ks",
	})
}

// runRolloutNoRetries is the body of TestZDMRolloutNoRetries and
// TestZDMRolloutNoRetriesCassandra: the same loads, steps and strictness
// against the clusters of src.
func runRolloutNoRetries(t *testing.T, src rolloutSource) {
	f := SharedFleet(t)
	e := src.env(t, f)
	if !zdmRealProxy {
		t.Skip("needs the real zdm-proxy (ZDMCTL_E2E_PROXY=real)")
	}
	// Peers reach each other's drain notices on the metrics listener.
	e.vars["metrics_address"] = "0.0.0.0"
	e.writeInventory()
	began := time.Now().Add(-time.Second)
	gate := []string{"--healthy-for", "2s", "--pause", "1s", "--ready-timeout", "60s"}
	t.Cleanup(func() { e.cleanupRun("teardown", "--yes", "--force", "--reason", "e2e cleanup") })
	if r := e.run(append([]string{"deploy"}, gate...)...); r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s", r.code, r.err)
	} else if !strings.Contains(r.err, "client settings: zdmctl client-config") {
		t.Errorf("deploy does not point at zdmctl client-config:\n%s", r.err)
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
	cl.Authenticator = gocql.PasswordAuthenticator{Username: src.user, Password: src.pass}
	s := gocqlSession(t, cl)
	defer s.Close()
	// The same driver with the settings zdmctl client-config prints.
	safe := gocqlSession(t, gocqlFromClientConfig(t, e, src.user, src.pass))
	defer safe.Close()

	gq := &driverLoad{name: "gocql"}
	pyl := &driverLoad{name: "python"}
	jl := &driverLoad{name: "java"}
	sl := &driverLoad{name: "gocql+client-config", settings: true}
	loads := []*driverLoad{gq, pyl, jl, sl}
	for _, d := range loads {
		d.begin("warm-up")
	}
	ks := src.ks
	writes := &rolloutWrites{keys: map[string]string{}}
	pyAcked := filepath.Join(t.TempDir(), "python-acked")
	py := startDriverLoad(t, "python", addrs, &pyl.cur, src.user, src.pass, "--table", ks+".t", "--acked", pyAcked)
	javaAcked := filepath.Join(t.TempDir(), "java-acked")
	jv := startDriverLoad(t, "java", addrs, &jl.cur, src.user, src.pass, "--keyspace", ks, "--acked", javaAcked)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	exec1 := func(d *driverLoad, q *gocql.Query) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := q.ExecContext(ctx)
		cancel()
		st := d.cur.Load()
		if err != nil {
			st.fail(err.Error(), gocqlDriverCaused(err))
		} else {
			st.ok.Add(1)
		}
		time.Sleep(5 * time.Millisecond)
		return err == nil
	}
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
				key := "g" + strconv.Itoa(w) + "-" + strconv.Itoa(i)
				switch i % 3 {
				case 0: // not idempotent (gocql's default for every statement)
					if exec1(gq, s.Query("INSERT INTO "+ks+".t (k) VALUES (?)", key)) {
						writes.ack(key, gq.name)
					}
				case 1:
					if exec1(gq, s.Query("UPDATE "+ks+".c SET n = n + 1 WHERE k = ?", "c")) {
						writes.counterOK.Add(1)
					} else {
						writes.counterFailed.Add(1)
					}
				default:
					exec1(gq, s.Query("SELECT k FROM "+ks+".t WHERE k = 'a'"))
				}
			}
		}()
	}
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				arg := "s" + strconv.Itoa(w) + "-" + strconv.Itoa(i)
				if i%2 == 1 {
					arg = "a"
				}
				if exec1(sl, safe.Query(safeStatements(ks)[i%2], arg)) && i%2 == 0 {
					writes.ack(arg, sl.name)
				}
			}
		}()
	}
	time.Sleep(2 * time.Second)

	steps := []struct {
		name    string
		restart bool // restarts proxies (the others reload them live)
		args    []string
	}{
		{"rolling-restart", true, []string{"rolling-restart"}},
		{"read_mode DUAL_ASYNC_ON_SECONDARY", false, []string{"rolling-update", "--read-mode", "DUAL_ASYNC_ON_SECONDARY"}},
		{"read_mode PRIMARY_ONLY", false, []string{"rolling-update", "--read-mode", "PRIMARY_ONLY"}},
		{"primary_cluster TARGET", false, []string{"rolling-update", "--primary-cluster", "TARGET"}},
		{"primary_cluster ORIGIN", false, []string{"rolling-update", "--primary-cluster", "ORIGIN"}},
		{"deploy upgraded binary", true, []string{"deploy", "--proxy-binary", upgraded}},
		{"rolling-restart again", true, []string{"rolling-restart"}},
	}
	restarts := map[string]bool{}
	for _, step := range steps {
		restarts[step.name] = step.restart
		var cur []*stepLoad
		for _, d := range loads {
			cur = append(cur, d.begin(step.name))
		}
		start := time.Now()
		r := e.run(append(step.args, gate...)...)
		for _, st := range cur {
			st.took = time.Since(start)
		}
		if r.code != 0 {
			close(stop)
			wg.Wait()
			py.stop()
			jv.stop()
			t.Fatalf("%s: exit %d\n%s", step.name, r.code, r.err)
		}
	}
	for _, d := range loads {
		d.begin("after")
	}
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	py.stop()
	jv.stop()
	// zdmctl deploy generated one peer_notice_token for the fleet: every
	// drain was acknowledged by every peer, and a notice without it from
	// another host is refused.
	checkPeerNoticesAcknowledged(t, e, began)
	checkPeerNoticeRefused(t, e)
	for _, a := range []struct{ file, load string }{{pyAcked, pyl.name}, {javaAcked, jl.name}} {
		b, err := os.ReadFile(a.file)
		if err != nil {
			t.Errorf("the %s load's acknowledged keys: %v", a.load, err)
			continue
		}
		for _, k := range strings.Fields(string(b)) {
			writes.ack(k, a.load)
		}
	}

	// Every request must succeed, except, in a step that restarts
	// proxies and for a load WITHOUT client-config's settings, errors of
	// the classes its driver causes itself (noretry_classes_test.go,
	// proxy/OPERATIONS.md): counted per step and driver, never ignored.
	// The load with client-config's settings must lose nothing anywhere.
	for _, d := range loads {
		var ok, failed, caused int64
		for _, st := range d.steps {
			n := st.failed.Load()
			ok += st.ok.Load()
			failed += n
			t.Logf("driver=%s step=%-34q took=%-8s ok=%-6d errors=%d driver-caused=%v %v", d.name, st.name, st.took.Round(100*time.Millisecond), st.ok.Load(), n, st.caused, st.errs)
			switch {
			case n == 0:
			case d.settings:
				t.Errorf("driver=%s (zdmctl client-config settings) step %q: %d requests failed: %v", d.name, st.name, n, st.errs)
			case !restarts[st.name]:
				t.Errorf("driver=%s step %q (no proxy restarts): %d requests failed: %v", d.name, st.name, n, st.errs)
			case st.unexplained() > 0:
				t.Errorf("driver=%s step %q: %d of %d failures of no driver-caused class: %v", d.name, st.name, st.unexplained(), n, st.errs)
			default:
				caused += n
			}
		}
		t.Logf("driver=%s total ok=%d errors=%d (driver-caused, in proxy restarts: %d)", d.name, ok, failed, caused)
		if ok == 0 {
			t.Errorf("driver=%s: no request succeeded", d.name)
		}
	}
	// The table for proxy/OPERATIONS.md: ok / errors per step and driver.
	var b strings.Builder
	b.WriteString("\n| step | took |")
	for _, d := range loads {
		b.WriteString(" " + d.name + " |")
	}
	b.WriteString("\n| --- | --- |" + strings.Repeat(" --- |", len(loads)) + "\n")
	for i, st := range gq.steps {
		fmt.Fprintf(&b, "| %s | %.1f s |", st.name, st.took.Seconds())
		for _, d := range loads {
			fmt.Fprintf(&b, " %d / %d |", d.steps[i].ok.Load(), d.steps[i].failed.Load())
		}
		b.WriteString("\n")
	}
	t.Log(b.String())
	if src.verify != nil {
		src.verify(t, writes)
	}
}

// pythonLoad runs a driver's load script, e2e/drivers/python/load.py (the
// DataStax Python driver, FallthroughRetryPolicy) or e2e/drivers/java
// Load (the Java driver 4, NoRetry), statements not idempotent, and counts
// its "OK n" and "FAIL ..." lines into the step in progress.
type pythonLoad struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
}

func startDriverLoad(t *testing.T, kind string, addrs []string, cur *atomic.Pointer[stepLoad], user, pass string, extra ...string) *pythonLoad {
	classify := pythonDriverCaused
	if kind == "java" {
		classify = javaDriverCaused
	}
	t.Helper()
	args := []string{"--contacts", strings.Join(addrs, ","), "--port", "9042", "--workers", "4",
		"--not-idempotent", "--no-retry", "--user", user}
	args = append(args, extra...)
	var cmd *exec.Cmd
	env := []string{"CQL_PASSWORD=" + pass}
	switch kind {
	case "python":
		cmd = exec.Command("/usr/bin/python3", append([]string{filepath.Join(repoRoot(), "e2e/drivers/python/load.py")}, args...)...)
	case "java": // the Java driver 4.19.4, Load with its NoRetry policy; built in a temp dir
		cmd = exec.Command(filepath.Join(repoRoot(), "e2e/drivers/java/run.sh"), args...)
		env = append(env, "JAVA_MAIN=zdmctl.matrix.Load", "JAVA_MATRIX_BUILD="+filepath.Join(t.TempDir(), "java"))
	}
	cmd.Env = append(os.Environ(), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s load: %v", kind, err)
	}
	p := &pythonLoad{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		readied := false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "READY":
				if !readied {
					readied = true
					close(ready)
				}
			case strings.HasPrefix(line, "OK "):
				n, _ := strconv.Atoi(strings.TrimPrefix(line, "OK "))
				cur.Load().ok.Add(int64(n))
			case strings.HasPrefix(line, "FAIL "):
				text := strings.TrimPrefix(line, "FAIL ")
				cur.Load().fail(text, classify(text))
			}
		}
	}()
	select {
	case <-ready:
	case <-p.done:
		t.Fatalf("%s load exited before READY", kind)
	case <-time.After(3 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("%s load not READY within 3m", kind)
	}
	return p
}

func (p *pythonLoad) stop() {
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	_ = p.cmd.Wait()
}
