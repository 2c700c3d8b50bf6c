package zdm

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"testing"
)

func localPort(t *testing.T, h http.Handler) int {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

// The probe script, run by a real bash, reads the admin API over /dev/tcp.
func TestProbeReadsTheAdminAPI(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/health/readiness", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(503)
		w.Write([]byte(`{"ready":false,"reason":"target unreachable","clusters":[{"name":"origin","reachable":true},{"name":"target","reachable":false}]}`))
	})
	mux.HandleFunc("/api/v1/status", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"version":"9.9","config_sha256":"abc","read_mode":"PRIMARY_ONLY","primary_cluster":"ORIGIN","client_connections":3,"uptime_seconds":12}`))
	})
	port := localPort(t, mux)
	hs := Probe(context.Background(), shellConn{}, port, "abc")
	if !hs.Reachable || hs.Ready || hs.NotReadyReason != "target unreachable" || hs.OriginUp == nil || !*hs.OriginUp || hs.TargetUp == nil || *hs.TargetUp {
		t.Fatalf("readiness: %+v", hs)
	}
	if hs.Version != "9.9" || hs.RunningSHA256 != "abc" || hs.ReadMode != "PRIMARY_ONLY" || hs.ClientConnections != 3 || hs.UptimeSeconds != 12 {
		t.Fatalf("status: %+v", hs)
	}
}

// Ready but degraded (DUAL_ASYNC_ON_SECONDARY with Target down): the
// reason is kept.
func TestProbeReadsDegradedReadiness(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/health/readiness", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"ready":true,"degraded":true,"degraded_clusters":["target"],"reason":"target unreachable: refused","clusters":[{"name":"origin","reachable":true},{"name":"target","reachable":false,"optional":true}]}`))
	})
	mux.HandleFunc("/api/v1/status", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"version":"9.9","config_sha256":"abc"}`))
	})
	hs := Probe(context.Background(), shellConn{}, localPort(t, mux), "abc")
	if !hs.Ready || hs.DegradedReason != "target unreachable: refused" || hs.NotReadyReason != "" || hs.TargetUp == nil || *hs.TargetUp {
		t.Fatalf("degraded readiness: %+v", hs)
	}
}

func TestProbeWithoutProxy(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	hs := Probe(context.Background(), shellConn{}, port, "abc")
	if hs.Ready || hs.Version != "" || hs.Drifted() || hs.DriftUnknown() {
		t.Fatalf("%+v", hs)
	}
}

func TestProbeMonitor(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	prom := localPort(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/-/healthy" {
			w.WriteHeader(404)
		}
	}))
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	grafana := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ms := ProbeMonitor(context.Background(), shellConn{}, net.JoinHostPort("127.0.0.1", strconv.Itoa(prom)), net.JoinHostPort("127.0.0.1", strconv.Itoa(grafana)))
	if !ms.Reachable || !ms.Prometheus || ms.Grafana {
		t.Fatalf("%+v", ms)
	}
}

// Readiness comes from the metrics listener, the status from the admin API
// listener; a proxy from before the split (status on the metrics port) is
// still read.
func TestProbeReadsStatusFromTheAPIListener(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	metrics := http.NewServeMux()
	metrics.HandleFunc("/health/readiness", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"ready":true}`)) })
	api := http.NewServeMux()
	api.HandleFunc("/api/v1/status", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"version":"2.0","client_connections":5}`))
	})
	mport, aport := localPort(t, metrics), localPort(t, api)
	hs := ProbeAPI(context.Background(), shellConn{}, mport, aport, "")
	if !hs.Ready || hs.Version != "2.0" || hs.ClientConnections != 5 {
		t.Fatalf("%+v", hs)
	}
	old := http.NewServeMux()
	old.HandleFunc("/health/readiness", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"ready":true}`)) })
	old.HandleFunc("/api/v1/status", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"version":"1.0"}`)) })
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()
	if hs := ProbeAPI(context.Background(), shellConn{}, localPort(t, old), closed, ""); hs.Version != "1.0" {
		t.Fatalf("older proxy: %+v", hs)
	}
}
