//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/internal/testcluster"
	"github.com/zdmctl/zdmctl/proxy/admin"
)

// targetStoppedFor is how long TestProxyCassandraAsyncWritesStoppedTarget
// keeps Target's process stopped (issue 12: 60 s).
const targetStoppedFor = 60 * time.Second

// TestProxyCassandraAsyncWritesStoppedTarget: write_mode
// DUAL_ASYNC_ON_SECONDARY, a write load through two proxies from gocql and
// from the DataStax Python driver (no retries, statements not idempotent),
// Target's process stopped (scripts/cassandra.sh stop: SIGTERM, the JVM
// exits) for 60 s, then started again. The clients must see no error; the
// proxies stay ready, reported degraded; every client connection reconnects
// to Target once it is back; a replay of the journals then puts every
// acknowledged write on Target with the writetime Origin stored.
func TestProxyCassandraAsyncWritesStoppedTarget(t *testing.T) {
	c := sharedClusters(t)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	origin, target := c.Endpoint(testcluster.Origin), c.Endpoint(testcluster.Target)
	const gkv, pykv = "zdm_async.stopped_kv", "zdm_async.stopped_pykv"
	for _, ep := range []testcluster.Endpoint{origin, target} {
		s := clusterSession(t, ep)
		for _, q := range []string{
			"CREATE KEYSPACE IF NOT EXISTS zdm_async WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
			"DROP TABLE IF EXISTS " + gkv, "DROP TABLE IF EXISTS " + pykv,
			"CREATE TABLE " + gkv + " (k int PRIMARY KEY, v text)",
			"CREATE TABLE " + pykv + " (k text PRIMARY KEY, v text)",
		} {
			if err := s.Query(q).WithContext(ctx).Exec(); err != nil {
				t.Fatalf("%s on %s: %v", q, ep.Node, err)
			}
		}
	}
	bin := zdmProxyBinary(t, c.RepoRoot())
	fleet, cfgs, sessions := startAsyncFleet(t, c)
	ins := "INSERT INTO " + gkv + " (k, v) VALUES (?, ?)"
	for _, s := range sessions {
		if err := s.Query(ins, -1, "warm").WithContext(ctx).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	py := startPyWriter(t, c.RepoRoot(), target, pykv)
	load := startGocqlWriters(ctx, sessions, ins, 8)
	time.Sleep(3 * time.Second)
	// A Target just started (cold JVM, busy box) may miss a control probe
	// and be left out by some client connections for a while: begin with
	// every proxy connected to it.
	for i := range fleet {
		waitNotDegraded(t, i, 2*time.Minute, "before Target is stopped")
	}

	// Whatever happens, leave Target running for the other tests.
	t.Cleanup(func() {
		if up, _ := c.Running(context.Background(), testcluster.Target); !up {
			if err := c.Start(context.Background(), testcluster.Target); err != nil {
				t.Errorf("start Target again (cleanup): %v", err)
			}
		}
	})
	sentBefore, pyBefore := load.next.Load(), py.ok.Load()
	stopAt := time.Now()
	if err := c.Stop(ctx, testcluster.Target); err != nil {
		t.Fatalf("stop Target: %v", err)
	}
	t.Logf("Target stopped in %s (%d gocql writes sent, %d Python requests acknowledged before)",
		time.Since(stopAt).Round(time.Millisecond), sentBefore, pyBefore)
	if up, err := c.Running(ctx, testcluster.Target); err != nil || up {
		t.Fatalf("Target running after stop: up=%v err=%v", up, err)
	}

	// Ready (200) but degraded, saying why, on every proxy.
	for i := range fleet {
		var rd readiness
		deadline := time.Now().Add(20 * time.Second)
		for {
			rd = readinessOf(t, i)
			if rd.Degraded || time.Now().After(deadline) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		t.Logf("proxy %d readiness with Target stopped: HTTP %d degraded=%v reason=%q", i, rd.code, rd.Degraded, rd.Reason)
		if rd.code != 200 || !rd.Ready || !rd.Degraded || len(rd.DegradedClusters) != 1 || rd.DegradedClusters[0] != "target" {
			t.Errorf("proxy %d readiness with Target stopped: %+v, want 200, degraded by target", i, rd)
		}
		st := statusOf(t, i)
		if !st.Degraded || st.DegradedReason == "" {
			t.Errorf("proxy %d /api/v1/status with Target stopped: degraded=%v reason=%q", i, st.Degraded, st.DegradedReason)
		}
	}
	// New client connections meanwhile: the proxies check their Target
	// credentials without Target (proxy/secondaryauth.go).
	var addrs []string
	for _, p := range fleet {
		addrs = append(addrs, p.Addr)
	}
	logins := startLoginProbe(ctx, addrs, target, ins, 2*time.Second)
	time.Sleep(targetStoppedFor - time.Since(stopAt))
	loginAcked := logins.stop()
	t.Logf("new gocql sessions opened with Target stopped: %d with their write acknowledged, %d failed", logins.ok.Load(), logins.failed.Load())
	if n := logins.failed.Load(); n != 0 || logins.ok.Load() == 0 {
		t.Errorf("new sessions with Target stopped: %d failed (last: %v), %d succeeded", n, logins.lastErr.Load(), logins.ok.Load())
	}
	downFor := time.Since(stopAt)
	sentDown, pyDown := load.next.Load()-sentBefore, py.ok.Load()-pyBefore
	startAt := time.Now()
	if err := c.Start(ctx, testcluster.Target); err != nil {
		t.Fatalf("start Target again: %v", err)
	}
	upAt := time.Now()
	t.Logf("Target was down %s (%d gocql writes sent, %d Python requests acknowledged meanwhile); started again in %s",
		downFor.Round(time.Millisecond), sentDown, pyDown, upAt.Sub(startAt).Round(time.Millisecond))

	// Every client connection reconnects to Target: no longer degraded.
	for i := range fleet {
		waitNotDegraded(t, i, 3*time.Minute, "after Target's CQL port was ready")
	}
	t.Logf("every proxy ready and not degraded %s after Target's CQL port was ready", time.Since(upAt).Round(time.Millisecond))
	for i, p := range fleet { // how the reconnections went, from the proxies' logs
		log := p.Log()
		first := ""
		for _, line := range strings.Split(log, "\n") {
			if strings.Contains(line, "cannot reconnect to the secondary yet") {
				first = line
				break
			}
		}
		t.Logf("proxy %d: %d secondary connections lost, %d up again, %d client logins admitted without Target; first failed reconnect: %q", i,
			strings.Count(log, "secondary connection lost"), strings.Count(log, "secondary connection up again"),
			strings.Count(log, "client logged in with credentials the secondary accepted before"), first)
	}
	time.Sleep(5 * time.Second) // load against a healthy Target again
	acked := load.stop()
	pyAcked := py.stop(t)
	t.Logf("gocql: %d writes acknowledged, %d client errors; Python driver: %d requests acknowledged (%d writes), %d client errors",
		len(acked), load.errs.Load(), py.ok.Load(), len(pyAcked), py.failed.Load())
	if e := load.errs.Load(); e != 0 {
		t.Errorf("gocql: %d client errors with Target stopped in DUAL_ASYNC_ON_SECONDARY (last: %v)", e, load.lastErr.Load())
	}
	if e := py.failed.Load(); e != 0 {
		t.Errorf("Python driver: %d client errors with Target stopped in DUAL_ASYNC_ON_SECONDARY (first: %v)", e, py.fails)
	}
	if t.Failed() {
		t.FailNow()
	}
	if len(acked) == 0 || len(pyAcked) == 0 {
		t.Fatalf("no write acknowledged: gocql %d, Python %d", len(acked), len(pyAcked))
	}

	reasons := failureReasons(t, len(fleet))
	pending, repair := journalTotals(t, bin, cfgs)
	t.Logf("journals: %v pending, %v needs repair; zdm_secondary_write_failures_total by reason: %v", pending, repair, reasons)
	if pending == 0 || reasons["unavailable"] == 0 {
		t.Fatalf("journals hold %v records, %v journaled as unavailable; want the writes Target missed", pending, reasons["unavailable"])
	}
	t.Logf("replayed %v records", replayJournals(t, bin, cfgs))
	checkOnBoth(t, ctx, c, gkv, acked)
	checkOnBoth(t, ctx, c, gkv, loginAcked)
	checkOnBoth(t, ctx, c, pykv, pyAcked)
}

// waitNotDegraded waits until proxy i is ready and not degraded, logging
// each new reason meanwhile; it fails t after limit.
func waitNotDegraded(t *testing.T, i int, limit time.Duration, when string) {
	t.Helper()
	start := time.Now()
	last := ""
	for {
		rd := readinessOf(t, i)
		if rd.code == 200 && !rd.Degraded {
			return
		}
		if rd.Reason != last {
			last = rd.Reason
			t.Logf("proxy %d, %s (+%s): HTTP %d %q", i, when, time.Since(start).Round(100*time.Millisecond), rd.code, rd.Reason)
		}
		if time.Since(start) > limit {
			t.Fatalf("proxy %d still degraded or not ready %s after %s: %+v", i, limit, when, rd)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// readiness is a proxy's /health/readiness answer.
type readiness struct {
	code int
	admin.Readiness
}

func readinessOf(t *testing.T, i int) readiness {
	t.Helper()
	code, body, err := proxyHTTP(i, "14001", "/health/readiness")
	if err != nil {
		t.Fatalf("readiness of proxy %d: %v", i, err)
	}
	r := readiness{code: code}
	if err := json.Unmarshal([]byte(body), &r.Readiness); err != nil {
		t.Fatalf("readiness of proxy %d: %v: %s", i, err, body)
	}
	return r
}

func statusOf(t *testing.T, i int) admin.Status {
	t.Helper()
	_, body, err := proxyHTTP(i, "14002", "/api/v1/status")
	if err != nil {
		t.Fatalf("status of proxy %d: %v", i, err)
	}
	var st admin.Status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("status of proxy %d: %v: %s", i, err, body)
	}
	return st
}
