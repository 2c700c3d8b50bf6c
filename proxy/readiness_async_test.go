package proxy_test

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/proxy/journal"
)

// In DUAL_ASYNC_ON_SECONDARY the primary has every write: Target down
// keeps the proxy ready (200), reported degraded with the reason, and
// zdm_secondary_disconnected_connections counts the client connections
// reconnecting to it. (In DUAL_SYNC it is not ready:
// TestReadinessFollowsClusterHeartbeats.)
func TestReadinessAsyncSecondaryDownIsDegraded(t *testing.T) {
	set, err := journal.OpenSet(t.TempDir(), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	var g *gate
	o := newObserved(t, envOpts{journal: set,
		extraEnv: []string{"ZDM_WRITE_MODE=DUAL_ASYNC_ON_SECONDARY", "ZDM_JOURNAL_DIR=/unused-by-proxy.New",
			"ZDM_HEARTBEAT_INTERVAL_MS=100", "ZDM_PROXY_REQUEST_TIMEOUT_MS=500"},
		lateEnv: func(e *env) []string {
			g = newGate(t, net.JoinHostPort(e.target.Host(), itoa(e.target.Port())))
			return []string{"ZDM_TARGET_PORT=" + g.port()}
		}})
	waitFor(t, "ready", func() bool { code, _ := readiness(t, o); return code == http.StatusOK })
	s := o.session(t, nil)
	if errs := writeLoad(s, 3); len(errs) != 0 {
		t.Fatal(errs[0])
	}
	if _, r := readiness(t, o); r.Degraded || !r.Clusters[1].Optional || r.Clusters[0].Optional {
		t.Fatalf("both up: %+v", r)
	}
	const metric = `zdm_secondary_disconnected_connections{cluster="target"}`

	g.set(false)
	waitFor(t, "target seen down", func() bool { _, r := readiness(t, o); return !r.Clusters[1].Reachable })
	waitFor(t, "every client connection without target", func() bool {
		return o.scrape(t)[metric] == float64(o.srv.Stats().ClientConnections)
	})
	code, r := readiness(t, o)
	if code != http.StatusOK || !r.Ready || !r.Degraded || len(r.FailingClusters) != 0 ||
		len(r.DegradedClusters) != 1 || r.DegradedClusters[0] != "target" || !strings.HasPrefix(r.Reason, "target unreachable") {
		t.Fatalf("target down in DUAL_ASYNC_ON_SECONDARY: %d %+v", code, r)
	}
	if r.Clusters[1].DisconnectedConnections == 0 {
		t.Fatalf("no disconnected client connection reported: %+v", r.Clusters[1])
	}
	if errs := writeLoad(s, 6); len(errs) != 0 {
		t.Fatalf("client error with target down: %v", errs[0])
	}

	g.set(true)
	waitFor(t, "not degraded again", func() bool { _, r := readiness(t, o); return !r.Degraded })
	if code, r := readiness(t, o); code != http.StatusOK || r.Reason != "" || r.Clusters[1].DisconnectedConnections != 0 {
		t.Fatalf("target back: %d %+v", code, r)
	}
	if v := o.scrape(t)[metric]; v != 0 {
		t.Fatalf("%s = %v after target came back", metric, v)
	}
}
