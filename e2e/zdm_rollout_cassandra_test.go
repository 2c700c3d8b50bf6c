//go:build e2e

package e2e

// TestZDMRolloutNoRetriesCassandra: TestZDMRolloutNoRetries (the same
// loads, steps and strictness) with the real Cassandra 5 Origin and Target
// of sharedClusters behind the 3 fleet proxies instead of in-memory
// clusters (issue 10). The clusters listen on loopback addresses the
// fleet's containers cannot reach, so the test relays a port on the
// fleet's bridge address to each (forwardTo: bytes only, no CQL). After
// the run, every write the loads had acknowledged is read back from
// Origin and Target directly.

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/internal/testcluster"
	"github.com/zdmctl/zdmctl/internal/testfleet"
)

// rolloutKeyspace is this test's own keyspace on both clusters, dropped
// and created again at its start (other tests share the clusters).
const rolloutKeyspace = "zdm_rollout"

func TestZDMRolloutNoRetriesCassandra(t *testing.T) {
	c := sharedClusters(t)
	ks := rolloutKeyspace
	for _, n := range []testcluster.Node{testcluster.Origin, testcluster.Target} {
		s := clusterSession(t, c.Endpoint(n))
		for _, q := range []string{
			"DROP KEYSPACE IF EXISTS " + ks,
			"CREATE KEYSPACE " + ks + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
			"CREATE TABLE " + ks + ".t (k text PRIMARY KEY, v text)",
			"CREATE TABLE " + ks + ".c (k text PRIMARY KEY, n counter)",
		} {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			err := s.Query(q).WithContext(ctx).Exec()
			cancel()
			if err != nil {
				t.Fatalf("%s on %s: %v", q, n, err)
			}
		}
	}
	runRolloutNoRetries(t, rolloutSource{
		env: func(t *testing.T, f *testfleet.Fleet) *zdmEnv {
			e := newZDMEnvWith(t, f, firstHosts(f, 3), func(t testing.TB, bridge string) (int, int) {
				return forwardTo(t, bridge, c.Endpoint(testcluster.Origin).Addr()),
					forwardTo(t, bridge, c.Endpoint(testcluster.Target).Addr())
			})
			// The proxies log in as the clusters' superuser where a
			// cluster asks for it; no password where it does not.
			e.env = append(e.env, "ZDM_E2E_CASSANDRA_PASSWORD="+testcluster.Password)
			for prefix, ep := range map[string]testcluster.Endpoint{"origin": c.Endpoint(testcluster.Origin), "target": c.Endpoint(testcluster.Target)} {
				if ep.Auth {
					e.vars[prefix+"_username"] = testcluster.Username
					e.vars[prefix+"_password"] = "env:ZDM_E2E_CASSANDRA_PASSWORD"
				} else {
					delete(e.vars, prefix+"_username")
					delete(e.vars, prefix+"_password")
				}
			}
			e.writeInventory()
			return e
		},
		user: testcluster.Username, pass: testcluster.Password, ks: ks,
		verify: func(t *testing.T, w *rolloutWrites) { verifyRolloutWrites(t, c, ks, w) },
	})
}

// firstHosts is the first n direct hosts of the fleet (newZDMEnv's).
func firstHosts(f *testfleet.Fleet, n int) []testfleet.Host {
	hosts := f.Direct()
	if len(hosts) > n {
		hosts = hosts[:n]
	}
	return hosts
}

// verifyRolloutWrites fails t unless every key the loads had acknowledged
// is in ks.t on Origin and on Target, and unless the gocql load's counter
// is, on each, at least its acknowledged updates and at most those plus
// its failed ones (a failed update not idempotent may have been applied).
func verifyRolloutWrites(t *testing.T, c *testcluster.Clusters, ks string, w *rolloutWrites) {
	t.Helper()
	byLoad := map[string]int{}
	for _, load := range w.keys {
		byLoad[load]++
	}
	for _, load := range []string{"gocql", "gocql+client-config", "python", "java"} {
		if byLoad[load] == 0 {
			t.Errorf("acknowledged writes per load: %v, none from %s", byLoad, load)
		}
	}
	for _, n := range []testcluster.Node{testcluster.Origin, testcluster.Target} {
		s := clusterSession(t, c.Endpoint(n))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		have := map[string]bool{}
		it := s.Query("SELECT k FROM " + ks + ".t").WithContext(ctx).PageSize(5000).Iter()
		var k string
		for it.Scan(&k) {
			have[k] = true
		}
		if err := it.Close(); err != nil {
			cancel()
			t.Fatalf("read %s.t on %s: %v", ks, n, err)
		}
		missing := map[string]int{}
		var examples []string
		for key, load := range w.keys {
			if !have[key] {
				missing[load]++
				if len(examples) < 5 {
					examples = append(examples, load+":"+key)
				}
			}
		}
		var counter int64
		err := s.Query("SELECT n FROM " + ks + ".c WHERE k = 'c'").WithContext(ctx).Scan(&counter)
		cancel()
		if len(missing) > 0 {
			t.Errorf("%s: acknowledged writes missing from %s.t, per load: %v of %v (e.g. %v)", n, ks, missing, byLoad, examples)
		}
		ok, failed := w.counterOK.Load(), w.counterFailed.Load()
		switch {
		case err != nil:
			t.Errorf("%s: read the counter %s.c: %v", n, ks, err)
		case counter < ok || counter > ok+failed:
			t.Errorf("%s: counter %s.c = %d, want %d acknowledged updates (+ up to %d failed ones)", n, ks, counter, ok, failed)
		}
		t.Logf("%s: %d rows in %s.t; acknowledged keys per load %v, missing %v; counter %d (acknowledged updates %d, failed %d)",
			n, len(have), ks, byLoad, missing, counter, ok, failed)
	}
}

// forwardTo relays a port on the bridge address to addr (a cluster on a
// loopback address the fleet's containers cannot reach), byte for byte,
// and returns the port; it closes with the test, after the proxies'
// teardown (cleanups run last registered first).
func forwardTo(t testing.TB, bridge, addr string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(bridge, "0"))
	if err != nil {
		t.Fatalf("relay to %s: %v", addr, err)
	}
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	track := func(cs ...net.Conn) bool {
		mu.Lock()
		defer mu.Unlock()
		if conns == nil {
			return false
		}
		for _, c := range cs {
			conns[c] = true
		}
		return true
	}
	go func() {
		for {
			down, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				up, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					down.Close()
					return
				}
				if !track(down, up) {
					down.Close()
					up.Close()
					return
				}
				go func() { _, _ = io.Copy(up, down); up.Close(); down.Close() }()
				_, _ = io.Copy(down, up)
				down.Close()
				up.Close()
				mu.Lock()
				if conns != nil {
					delete(conns, down)
					delete(conns, up)
				}
				mu.Unlock()
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		conns = nil
		mu.Unlock()
	})
	return l.Addr().(*net.TCPAddr).Port
}
