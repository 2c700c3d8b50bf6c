package admin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/proxy/metrics"
)

type fakeHealth struct {
	mu sync.Mutex
	cs []ClusterStatus
}

func (f *fakeHealth) ClusterStatus() []ClusterStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ClusterStatus(nil), f.cs...)
}

func (f *fakeHealth) set(cs ...ClusterStatus) {
	f.mu.Lock()
	f.cs = cs
	f.mu.Unlock()
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

var hb = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestReadiness(t *testing.T) {
	h := &fakeHealth{}
	s := New(Options{Health: h})
	code, body := get(t, s.Handler(), "/health/readiness")
	if code != 503 || !strings.Contains(body, "no cluster status yet") {
		t.Fatalf("empty health: %d %s", code, body)
	}

	h.set(ClusterStatus{Name: "origin", Reachable: true, LastHeartbeat: hb},
		ClusterStatus{Name: "target", Reachable: true, LastHeartbeat: hb})
	code, body = get(t, s.Handler(), "/health/readiness")
	var r Readiness
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if code != 200 || !r.Ready || len(r.Clusters) != 2 || !r.Clusters[1].LastHeartbeat.Equal(hb) {
		t.Fatalf("both up: %d %+v", code, r)
	}

	h.set(ClusterStatus{Name: "origin", Reachable: true, LastHeartbeat: hb},
		ClusterStatus{Name: "target", Error: "dial 10.0.0.9:9042: connection refused"})
	code, body = get(t, s.Handler(), "/health/readiness")
	r = Readiness{}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if code != 503 || r.Ready || len(r.FailingClusters) != 1 || r.FailingClusters[0] != "target" ||
		r.Reason != "target unreachable: dial 10.0.0.9:9042: connection refused" {
		t.Fatalf("target down: %d %+v", code, r)
	}
}

func TestNoHealthSourceIsNotReady(t *testing.T) {
	code, body := get(t, New(Options{}).Handler(), "/health/readiness")
	if code != 503 || !strings.Contains(body, "no cluster health source") {
		t.Fatalf("%d %s", code, body)
	}
}

func TestStatusJSON(t *testing.T) {
	start := hb
	cfg := map[string]any{"origin_username": "u", "origin_password": "hunter2",
		"target": map[string]any{"auth_token": "tok", "port": 9042}, "read_mode": "PRIMARY_ONLY"}
	sum, err := ConfigSHA256(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{
		Now: func() time.Time { return start.Add(90 * time.Second) },
		Status: func() Status {
			return Status{Version: "v1.2.3", Build: CurrentBuild(), StartTime: start,
				Config: Redact(cfg), ConfigSHA256: sum, ReadMode: "PRIMARY_ONLY",
				PrimaryCluster: "ORIGIN", ClientConnections: 4, InflightRequests: 2,
				RestartPending: true, ChangedImmutableKeys: []string{"proxy_listen_port"}}
		},
	})
	code, body := get(t, s.Handler(), "/api/v1/status")
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if strings.Contains(body, "hunter2") || strings.Contains(body, "\"tok\"") {
		t.Fatalf("secret in status: %s", body)
	}
	var st Status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if st.UptimeSeconds != 90 || st.Version != "v1.2.3" || st.ConfigSHA256 != sum || len(sum) != 64 ||
		!st.RestartPending || st.ChangedImmutableKeys[0] != "proxy_listen_port" ||
		st.ClientConnections != 4 || st.Build.GoVersion == "" {
		t.Fatalf("status = %+v", st)
	}
	if st.Config["origin_password"] != "REDACTED" || st.Config["origin_username"] != "u" ||
		st.Config["target"].(map[string]any)["auth_token"] != "REDACTED" {
		t.Fatalf("config = %v", st.Config)
	}
	if cfg["origin_password"] != "hunter2" {
		t.Fatal("Redact modified its input")
	}
}

func TestConfigSHA256IsCanonical(t *testing.T) {
	a, _ := ConfigSHA256(map[string]any{"a": 1, "b": "x"})
	b, _ := ConfigSHA256(map[string]any{"b": "x", "a": 1})
	c, _ := ConfigSHA256(map[string]any{"b": "y", "a": 1})
	if a != b || a == c {
		t.Fatalf("a=%s b=%s c=%s", a, b, c)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	m := metrics.New(metrics.Options{})
	m.ClientConnections.Set(3)
	code, body := get(t, New(Options{Gatherer: m.Registry()}).Handler(), "/metrics")
	if code != 200 || !strings.Contains(body, "zdm_client_connections_total 3") ||
		!strings.Contains(body, "go_goroutines") {
		t.Fatalf("%d %.300s", code, body)
	}
}

func TestLiveServerAndShutdown(t *testing.T) {
	h := &fakeHealth{}
	h.set(ClusterStatus{Name: "origin", Reachable: true}, ClusterStatus{Name: "target", Reachable: true})
	s := New(Options{Addr: "127.0.0.1:0", Health: h,
		Status: func() Status { return Status{Version: "x", ReadMode: "DUAL_ASYNC_ON_SECONDARY"} }})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	base := "http://" + s.Addr()
	resp, err := http.Get(base + "/health/liveness")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "OK\n" {
		t.Fatalf("liveness %d %q", resp.StatusCode, b)
	}
	ctx := context.Background()
	st, err := GetStatus(ctx, nil, base)
	if err != nil || st.ReadMode != "DUAL_ASYNC_ON_SECONDARY" {
		t.Fatalf("GetStatus = %+v, %v", st, err)
	}
	r, err := GetReadiness(ctx, nil, base)
	if err != nil || !r.Ready {
		t.Fatalf("GetReadiness = %+v, %v", r, err)
	}
	h.set(ClusterStatus{Name: "origin", Error: "timeout"}, ClusterStatus{Name: "target", Reachable: true})
	r, err = GetReadiness(ctx, nil, base)
	if err != nil || r.Ready || r.FailingClusters[0] != "origin" {
		t.Fatalf("GetReadiness (origin down) = %+v, %v", r, err)
	}
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, s.Handler(), "/health/liveness"); code != 503 {
		t.Fatalf("liveness after shutdown = %d", code)
	}
	if _, err := http.Get(base + "/health/liveness"); err == nil {
		t.Fatal("server still serving after Shutdown")
	}
}

func TestDrainFailsReadinessOnly(t *testing.T) {
	h := &fakeHealth{}
	h.set(ClusterStatus{Name: "origin", Reachable: true}, ClusterStatus{Name: "target", Reachable: true})
	s := New(Options{Health: h})
	if code, _ := get(t, s.Handler(), "/health/readiness"); code != 200 {
		t.Fatalf("readiness before drain = %d", code)
	}
	s.Drain()
	code, body := get(t, s.Handler(), "/health/readiness")
	if code != 503 || !strings.Contains(body, "shutting down") {
		t.Fatalf("readiness while draining = %d %s", code, body)
	}
	if code, body := get(t, s.Handler(), "/health/liveness"); code != 200 || body != "OK\n" {
		t.Fatalf("liveness while draining = %d %q", code, body)
	}
	if err := s.Shutdown(context.Background()); err != nil { // never started
		t.Fatal(err)
	}
	if code, _ := get(t, s.Handler(), "/health/liveness"); code != 503 {
		t.Fatalf("liveness after shutdown = %d", code)
	}
}

func TestAddress(t *testing.T) {
	if got := Address("", 0); got != ":14001" {
		t.Errorf("Address default = %q", got)
	}
	if got := Address("::1", 9100); got != "[::1]:9100" {
		t.Errorf("Address ipv6 = %q", got)
	}
}

// An optional cluster (the asynchronous secondary) down keeps the proxy
// ready, reported degraded with the reason; a required one still fails it.
func TestReadinessOptionalClusterDegrades(t *testing.T) {
	h := &fakeHealth{}
	s := New(Options{Health: h})
	read := func() (int, Readiness) {
		t.Helper()
		code, body := get(t, s.Handler(), "/health/readiness")
		var r Readiness
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		return code, r
	}
	h.set(ClusterStatus{Name: "origin", Reachable: true, LastHeartbeat: hb},
		ClusterStatus{Name: "target", Optional: true, Error: "dial 10.0.0.9:9042: connection refused", DisconnectedConnections: 3})
	code, r := read()
	if code != 200 || !r.Ready || !r.Degraded || len(r.FailingClusters) != 0 || len(r.DegradedClusters) != 1 ||
		r.DegradedClusters[0] != "target" || !strings.HasPrefix(r.Reason, "target unreachable: dial 10.0.0.9:9042: connection refused (optional") {
		t.Fatalf("optional target down: %d %+v", code, r)
	}

	// Reachable again, connections still reconnecting: degraded.
	h.set(ClusterStatus{Name: "origin", Reachable: true, LastHeartbeat: hb},
		ClusterStatus{Name: "target", Optional: true, Reachable: true, DisconnectedConnections: 2})
	if code, r = read(); code != 200 || !r.Degraded || !strings.HasPrefix(r.Reason, "2 client connection(s) reconnecting to target") {
		t.Fatalf("reconnecting: %d %+v", code, r)
	}

	h.set(ClusterStatus{Name: "origin", Reachable: true, LastHeartbeat: hb},
		ClusterStatus{Name: "target", Optional: true, Reachable: true})
	if code, r = read(); code != 200 || r.Degraded || r.Reason != "" {
		t.Fatalf("all up: %d %+v", code, r)
	}

	// The required cluster down: not ready, whatever the optional one does.
	h.set(ClusterStatus{Name: "origin", Error: "timeout"},
		ClusterStatus{Name: "target", Optional: true, Error: "refused"})
	if code, r = read(); code != 503 || r.Ready || r.Degraded || len(r.FailingClusters) != 1 || r.FailingClusters[0] != "origin" ||
		!strings.Contains(r.Reason, "origin unreachable: timeout") || !strings.Contains(r.Reason, "target unreachable: refused") {
		t.Fatalf("origin down: %d %+v", code, r)
	}
}
