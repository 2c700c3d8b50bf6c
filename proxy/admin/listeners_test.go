package admin

import (
	"context"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func httpGet(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// With APIAddr apart, the metrics listener (the one exposed for
// monitoring) serves /metrics and /health/* only, and the status with the
// running config is on the API listener only.
func TestAPIOnItsOwnListener(t *testing.T) {
	s := New(Options{Addr: "127.0.0.1:0", APIAddr: "127.0.0.1:0", Gatherer: prometheus.NewRegistry(),
		Health: &fakeHealth{}, Status: func() Status { return Status{Version: "t"} }})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	m, a := "http://"+s.Addr(), "http://"+s.APIAddr()
	if m == a {
		t.Fatalf("one listener: %s", m)
	}
	for url, want := range map[string]int{
		m + "/metrics": 200, m + "/health/liveness": 200, m + "/api/v1/status": 404,
		a + "/api/v1/status": 200, a + "/metrics": 404, a + "/health/liveness": 404,
	} {
		if got := httpGet(t, url); got != want {
			t.Errorf("GET %s: %d, want %d", url, got, want)
		}
	}
}

// The same address for both (or none for the API) is one listener that
// serves everything, as before the split.
func TestOneListenerWhenTheSame(t *testing.T) {
	s := New(Options{Addr: "127.0.0.1:0", Status: func() Status { return Status{} }})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	if s.APIAddr() != s.Addr() || httpGet(t, "http://"+s.Addr()+"/api/v1/status") != 200 {
		t.Fatal("the API is not on the one listener")
	}
}
