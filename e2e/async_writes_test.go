//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/zdmctl/zdmctl/internal/testcluster"
)

// nodePID is the JVM pid of a shared cluster node (scripts/cassandra.sh
// keeps it in $CASSANDRA_RUN_DIR/<node>/pid).
func nodePID(t *testing.T, n testcluster.Node) int {
	t.Helper()
	run := os.Getenv("CASSANDRA_RUN_DIR")
	if run == "" {
		run = "/tmp/zdmctl-cassandra"
	}
	b, err := os.ReadFile(filepath.Join(run, string(n), "pid"))
	if err != nil {
		t.Fatalf("pid of %s: %v", n, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid of %s: %v", n, err)
	}
	return pid
}

// journalJSON runs `zdm-proxy journal args... -o json` and decodes it.
func journalJSON(t *testing.T, bin string, args ...string) map[string]any {
	t.Helper()
	cmd := exec.Command(bin, append(append([]string{"journal"}, args...), "-o", "json")...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var doc map[string]any
	if jerr := json.Unmarshal(out, &doc); jerr != nil {
		t.Fatalf("zdm-proxy journal %v: %v (exit %v)\nstdout %s\nstderr %s", args, jerr, err, out, stderr.String())
	}
	if err != nil {
		t.Fatalf("zdm-proxy journal %v: %v: %v\n%s", args, err, doc, stderr.String())
	}
	return doc
}

// TestProxyCassandraAsyncWritesFrozenTarget: write_mode
// DUAL_ASYNC_ON_SECONDARY, a gocql write load through two proxies, Target's
// JVM frozen (SIGSTOP) for 20 s. The client must see no error; the proxies'
// journals hold what Target missed (counter and LWT writes as needs-repair);
// a replay then puts every acknowledged write on Target with the writetime
// Origin stored.
func TestProxyCassandraAsyncWritesFrozenTarget(t *testing.T) {
	c := sharedClusters(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	origin, target := c.Endpoint(testcluster.Origin), c.Endpoint(testcluster.Target)
	for _, ep := range []testcluster.Endpoint{origin, target} {
		s := clusterSession(t, ep)
		for _, q := range []string{
			"CREATE KEYSPACE IF NOT EXISTS zdm_async WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
			"DROP TABLE IF EXISTS zdm_async.kv", "DROP TABLE IF EXISTS zdm_async.hits", "DROP TABLE IF EXISTS zdm_async.owners",
			"CREATE TABLE zdm_async.kv (k int PRIMARY KEY, v text)",
			"CREATE TABLE zdm_async.hits (k int PRIMARY KEY, n counter)",
			"CREATE TABLE zdm_async.owners (k int PRIMARY KEY, owner text)",
		} {
			if err := s.Query(q).WithContext(ctx).Exec(); err != nil {
				t.Fatalf("%s on %s: %v", q, ep.Node, err)
			}
		}
	}
	bin := zdmProxyBinary(t, c.RepoRoot())
	ins := "INSERT INTO zdm_async.kv (k, v) VALUES (?, ?)"
	var cfgs []string
	var fleet []*proxyProc
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
	var sessions []*gocql.Session
	for _, p := range fleet {
		s, err := newSession(p.Addr, target)
		if err != nil {
			t.Fatalf("session through %s: %v", p.Addr, err)
		}
		t.Cleanup(s.Close)
		sessions = append(sessions, s)
	}
	for _, s := range sessions { // prepared before the freeze: PREPARE needs both clusters
		if err := s.Query(ins, -1, "warm").WithContext(ctx).Exec(); err != nil {
			t.Fatal(err)
		}
	}

	var acked sync.Map // k -> v
	var nextKey, clientErrs atomic.Int64
	var lastErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(s *gocql.Session) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := int(nextKey.Add(1))
				v := fmt.Sprintf("v%d", k)
				if err := s.Query(ins, k, v).WithContext(ctx).Exec(); err != nil {
					clientErrs.Add(1)
					lastErr.Store(err.Error())
					continue
				}
				acked.Store(k, v)
				time.Sleep(5 * time.Millisecond)
			}
		}(sessions[w%len(sessions)])
	}
	time.Sleep(3 * time.Second)
	pid := nodePID(t, testcluster.Target)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	frozenAt := time.Now()
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	t.Cleanup(thaw)
	t.Logf("Target (pid %d) frozen with %d writes acknowledged", pid, nextKey.Load())
	// A counter update and an LWT while Target is frozen: never replayable.
	if err := sessions[0].Query("UPDATE zdm_async.hits SET n = n + 1 WHERE k = 1").WithContext(ctx).Exec(); err != nil {
		t.Errorf("counter update through the proxy with Target frozen: %v", err)
	}
	if _, err := sessions[1].Query("INSERT INTO zdm_async.owners (k, owner) VALUES (1, 'alice') IF NOT EXISTS").WithContext(ctx).ScanCAS(); err != nil {
		t.Errorf("LWT through the proxy with Target frozen: %v", err)
	}
	time.Sleep(20*time.Second - time.Since(frozenAt))
	thaw()
	t.Logf("Target thawed after %s", time.Since(frozenAt).Round(time.Millisecond))
	time.Sleep(5 * time.Second) // load against a healthy Target again
	close(stop)
	wg.Wait()
	n := 0
	acked.Range(func(_, _ any) bool { n++; return true })
	t.Logf("%d writes acknowledged, %d client errors", n, clientErrs.Load())
	if e := clientErrs.Load(); e != 0 {
		t.Fatalf("%d client errors with Target frozen in DUAL_ASYNC_ON_SECONDARY (last: %v)", e, lastErr.Load())
	}

	// The journals hold what Target missed (the proxies journal a write
	// when its request timeout, 3 s, expires).
	var pending, repair float64
	deadline := time.Now().Add(30 * time.Second)
	for {
		pending, repair = 0, 0
		for _, cfg := range cfgs {
			st := journalJSON(t, bin, "status", "--config", cfg)["status"].(map[string]any)
			pending += st["pending"].(float64)
			repair += st["needs_repair"].(float64)
		}
		if repair >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	t.Logf("journals: %v pending, %v needs repair", pending, repair)
	if pending == 0 || repair < 2 {
		t.Fatalf("journals hold %v pending and %v needs-repair records; want the frozen period's writes, and the counter and LWT as needs-repair", pending, repair)
	}
	var replayed float64
	for _, cfg := range cfgs {
		rp := journalJSON(t, bin, "replay", "--config", cfg, "--rate", "2000")["replay"].(map[string]any)
		replayed += rp["replayed"].(float64)
		if rp["remaining"].(float64) != 0 {
			t.Fatalf("replay left records: %v", rp)
		}
	}
	t.Logf("replayed %v records", replayed)

	// Every acknowledged write is on both clusters with the same writetime.
	read := func(ep testcluster.Endpoint) map[int][2]any {
		s := clusterSession(t, ep)
		out := map[int][2]any{}
		it := s.Query("SELECT k, v, WRITETIME(v) FROM zdm_async.kv").WithContext(ctx).PageSize(5000).Iter()
		var k int
		var v string
		var wt int64
		for it.Scan(&k, &v, &wt) {
			out[k] = [2]any{v, wt}
		}
		if err := it.Close(); err != nil {
			t.Fatalf("read %s: %v", ep.Node, err)
		}
		return out
	}
	o, tg := read(origin), read(target)
	var missing, differ int
	acked.Range(func(key, val any) bool {
		k := key.(int)
		ov, ok1 := o[k]
		tv, ok2 := tg[k]
		switch {
		case !ok1 || !ok2 || ov[0] != val || tv[0] != val:
			missing++
			if missing <= 5 {
				t.Errorf("key %d (acknowledged %v): origin %v, target %v", k, val, ov, tv)
			}
		case ov[1] != tv[1]:
			differ++
			if differ <= 5 {
				t.Errorf("key %d: writetime origin %v, target %v", k, ov[1], tv[1])
			}
		}
		return true
	})
	if missing+differ > 0 {
		t.Fatalf("%d acknowledged writes missing, %d with a different writetime, of %d", missing, differ, n)
	}
	t.Logf("all %d acknowledged writes are on Origin and Target with the same writetime", n)
}

// TestProxyCassandraDualSyncFrozenTarget: the same freeze in DUAL_SYNC
// fails the client's writes, as documented.
func TestProxyCassandraDualSyncFrozenTarget(t *testing.T) {
	c := sharedClusters(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	target := c.Endpoint(testcluster.Target)
	for _, ep := range []testcluster.Endpoint{c.Endpoint(testcluster.Origin), target} {
		s := clusterSession(t, ep)
		for _, q := range []string{
			"CREATE KEYSPACE IF NOT EXISTS zdm_async WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
			"CREATE TABLE IF NOT EXISTS zdm_async.kv (k int PRIMARY KEY, v text)",
		} {
			if err := s.Query(q).WithContext(ctx).Exec(); err != nil {
				t.Fatalf("%s on %s: %v", q, ep.Node, err)
			}
		}
	}
	ins := "INSERT INTO zdm_async.kv (k, v) VALUES (?, ?)"
	p := startProxy(t, c, proxyOpts{Extra: map[string]string{"proxy_request_timeout_ms": "2000"}}, 0)
	// This proxy only: its topology also names the fleet's other address.
	cl := gocql.NewCluster(p.Addr)
	cl.ProtoVersion = 4
	cl.Timeout = 15 * time.Second
	cl.HostFilter = gocql.WhiteListHostFilter(proxyFleetHosts[0])
	if u, pw := target.Credentials(); u != "" {
		cl.Authenticator = gocql.PasswordAuthenticator{Username: u, Password: pw}
	}
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Query(ins, -2, "warm").WithContext(ctx).Exec(); err != nil {
		t.Fatal(err)
	}
	pid := nodePID(t, testcluster.Target)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(pid, syscall.SIGCONT)
	var failed int
	for i := 0; i < 3; i++ {
		start := time.Now()
		err := s.Query(ins, -3-i, "sync").WithContext(ctx).Exec()
		t.Logf("DUAL_SYNC write %d with Target frozen: %v after %s", i, err, time.Since(start).Round(time.Millisecond))
		if err != nil {
			failed++
		}
	}
	if failed != 3 {
		t.Fatalf("DUAL_SYNC: %d of 3 writes failed with Target frozen, want 3", failed)
	}
}
