//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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
	_, cfgs, sessions := startAsyncFleet(t, c)
	for _, s := range sessions { // prepared before the freeze: PREPARE needs both clusters
		if err := s.Query(ins, -1, "warm").WithContext(ctx).Exec(); err != nil {
			t.Fatal(err)
		}
	}

	load := startGocqlWriters(ctx, sessions, ins, 8)
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
	t.Logf("Target (pid %d) frozen with %d writes sent", pid, load.next.Load())
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
	acked := load.stop()
	t.Logf("%d writes acknowledged, %d client errors", len(acked), load.errs.Load())
	if e := load.errs.Load(); e != 0 {
		t.Fatalf("%d client errors with Target frozen in DUAL_ASYNC_ON_SECONDARY (last: %v)", e, load.lastErr.Load())
	}

	// The journals hold what Target missed (the proxies journal a write
	// when its request timeout, 3 s, expires).
	var pending, repair float64
	deadline := time.Now().Add(30 * time.Second)
	for {
		pending, repair = journalTotals(t, bin, cfgs)
		if repair >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	t.Logf("journals: %v pending, %v needs repair", pending, repair)
	if pending == 0 || repair < 2 {
		t.Fatalf("journals hold %v pending and %v needs-repair records; want the frozen period's writes, and the counter and LWT as needs-repair", pending, repair)
	}
	t.Logf("replayed %v records", replayJournals(t, bin, cfgs))

	// Every acknowledged write is on both clusters with the same writetime.
	checkOnBoth(t, ctx, c, "zdm_async.kv", acked)
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
