package proxy_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/admin"
)

// gate forwards TCP to a backend; closed, it drops every connection and
// refuses new ones, like a node that stopped answering.
type gate struct {
	ln      net.Listener
	backend string
	mu      sync.Mutex
	open    bool
	conns   []net.Conn
}

func newGate(t *testing.T, backend string) *gate {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{ln: ln, backend: backend, open: true}
	t.Cleanup(func() { ln.Close(); g.set(false) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			g.mu.Lock()
			if !g.open {
				g.mu.Unlock()
				c.Close()
				continue
			}
			b, err := net.Dial("tcp", backend)
			if err != nil {
				g.mu.Unlock()
				c.Close()
				continue
			}
			g.conns = append(g.conns, c, b)
			g.mu.Unlock()
			go func() { io.Copy(b, c); b.Close() }()
			go func() { io.Copy(c, b); c.Close() }()
		}
	}()
	return g
}

func (g *gate) port() string { return itoa(g.ln.Addr().(*net.TCPAddr).Port) }

func (g *gate) set(open bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = open
	if !open {
		for _, c := range g.conns {
			c.Close()
		}
		g.conns = nil
	}
}

func readiness(t *testing.T, o *observed) (int, admin.Readiness) {
	t.Helper()
	resp, err := http.Get(o.http.URL + "/health/readiness")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r admin.Readiness
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, r
}

func TestReadinessFollowsClusterHeartbeats(t *testing.T) {
	// An idle proxy (no client at all): readiness comes from the control
	// connections' heartbeats.
	var g *gate
	o := newObserved(t, envOpts{extraEnv: []string{"ZDM_HEARTBEAT_INTERVAL_MS=100", "ZDM_PROXY_REQUEST_TIMEOUT_MS=500"},
		lateEnv: func(e *env) []string {
			g = newGate(t, net.JoinHostPort(e.target.Host(), itoa(e.target.Port())))
			return []string{"ZDM_TARGET_PORT=" + g.port()}
		}})
	waitFor(t, "ready", func() bool { code, _ := readiness(t, o); return code == http.StatusOK })
	if _, r := readiness(t, o); len(r.Clusters) != 2 || !r.Clusters[0].Reachable || !r.Clusters[1].Reachable {
		t.Fatalf("ready but clusters %+v", r.Clusters)
	}
	g.set(false)
	waitFor(t, "not ready", func() bool { code, _ := readiness(t, o); return code == http.StatusServiceUnavailable })
	_, r := readiness(t, o)
	if len(r.FailingClusters) != 1 || r.FailingClusters[0] != "target" || r.Reason == "" {
		t.Fatalf("want target failing with a reason, got %+v", r)
	}
	g.set(true)
	waitFor(t, "ready again", func() bool { code, _ := readiness(t, o); return code == http.StatusOK })
}

// The control connection logs in with the configured credentials each time
// it (re)connects: a cluster that comes back refusing them (a password
// rotated while the proxy runs) keeps the proxy not ready, saying why,
// instead of ready while every new client fails to authenticate.
func TestReadinessChecksCredentialsOnReconnect(t *testing.T) {
	var g *gate
	o := newObserved(t, envOpts{
		target:   cqltest.Options{Username: "zdm", Password: "first"},
		extraEnv: []string{"ZDM_HEARTBEAT_INTERVAL_MS=100", "ZDM_PROXY_REQUEST_TIMEOUT_MS=500", "ZDM_TARGET_USERNAME=zdm", "ZDM_TARGET_PASSWORD=first"},
		lateEnv: func(e *env) []string {
			g = newGate(t, net.JoinHostPort(e.target.Host(), itoa(e.target.Port())))
			return []string{"ZDM_TARGET_PORT=" + g.port()}
		}})
	waitFor(t, "ready", func() bool { code, _ := readiness(t, o); return code == http.StatusOK })
	o.env.target.SetCredentials("zdm", "rotated")
	g.set(false)
	waitFor(t, "not ready", func() bool { code, _ := readiness(t, o); return code == http.StatusServiceUnavailable })
	g.set(true)
	waitFor(t, "not ready: credentials rejected", func() bool {
		code, r := readiness(t, o)
		return code == http.StatusServiceUnavailable && strings.Contains(r.Reason, "credentials rejected")
	})
	_, r := readiness(t, o)
	if len(r.FailingClusters) != 1 || r.FailingClusters[0] != "target" || !strings.Contains(r.Reason, "target_username/target_password") {
		t.Fatalf("want target failing on its credentials, got %+v", r)
	}
	o.env.target.SetCredentials("zdm", "first")
	waitFor(t, "ready again", func() bool { code, _ := readiness(t, o); return code == http.StatusOK })
}

// A live control connection is replaced, and logged in afresh, every
// controlRelogin: a password rotated under a running proxy turns readiness
// off within that time even when no connection breaks.
func TestReadinessNoticesRotationWithoutReconnect(t *testing.T) {
	t.Cleanup(proxy.SetControlRelogin(300 * time.Millisecond))
	o := newObserved(t, envOpts{
		target:   cqltest.Options{Username: "zdm", Password: "first"},
		extraEnv: []string{"ZDM_HEARTBEAT_INTERVAL_MS=100", "ZDM_PROXY_REQUEST_TIMEOUT_MS=500", "ZDM_TARGET_USERNAME=zdm", "ZDM_TARGET_PASSWORD=first"},
	})
	waitFor(t, "ready", func() bool { code, _ := readiness(t, o); return code == http.StatusOK })
	o.env.target.SetCredentials("zdm", "rotated")
	waitFor(t, "not ready: credentials rejected", func() bool {
		code, r := readiness(t, o)
		return code == http.StatusServiceUnavailable && strings.Contains(r.Reason, "credentials rejected")
	})
	o.env.target.SetCredentials("zdm", "first")
	waitFor(t, "ready again", func() bool { code, _ := readiness(t, o); return code == http.StatusOK })
}
