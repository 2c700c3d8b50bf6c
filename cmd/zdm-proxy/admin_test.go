package main

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy/admin"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	return resp.StatusCode, b.String()
}

func TestMetricsCanBeTurnedOff(t *testing.T) {
	origin := cqltest.Start(t, cqltest.Options{Name: "origin"})
	target := cqltest.Start(t, cqltest.Options{Name: "target"})
	env := []string{"ZDM_ORIGIN_CONTACT_POINTS=127.0.0.1", "ZDM_ORIGIN_PORT=" + strconv.Itoa(origin.Port()),
		"ZDM_TARGET_CONTACT_POINTS=127.0.0.1", "ZDM_TARGET_PORT=" + strconv.Itoa(target.Port())}
	for _, on := range []bool{true, false} {
		_, _, r := startRunning(t, append(env, "ZDM_METRICS_ENABLED="+strconv.FormatBool(on))...)
		base := "http://" + r.admin.Addr()
		code, body := get(t, base+"/metrics")
		if on && (code != 200 || !strings.Contains(body, "zdm_proxy_request_duration_seconds")) {
			t.Fatalf("metrics on: %d %.200s", code, body)
		}
		if !on && code != http.StatusNotFound {
			t.Fatalf("metrics off: /metrics answered %d", code)
		}
		if code, _ := get(t, base+"/health/liveness"); code != 200 {
			t.Fatalf("liveness %d", code)
		}
		waitUntil(t, "ready", func() bool { code, _ := get(t, base+"/health/readiness"); return code == 200 })
		// The status and running config are on the admin API listener
		// only: the metrics listener, which monitoring needs exposed,
		// does not serve them.
		if code, _ := get(t, base+"/api/v1/status"); code != http.StatusNotFound {
			t.Fatalf("the metrics listener answers /api/v1/status: %d", code)
		}
		if r.admin.APIAddr() == r.admin.Addr() {
			t.Fatalf("one listener for metrics and the admin API: %s", r.admin.Addr())
		}
		st, err := admin.GetStatus(context.Background(), http.DefaultClient, "http://"+r.admin.APIAddr())
		if err != nil {
			t.Fatal(err)
		}
		// From the environment only: the hash of the canonical rendering.
		if want := sha(r.cfg.Canonical()); st.ConfigSHA256 != want || st.ClientConnections != 0 {
			t.Fatalf("status hash %q, want %q (%+v)", st.ConfigSHA256, want, st)
		}
	}
}

func TestListConfigKeysHasOpsKeys(t *testing.T) {
	out, err := exec.Command(binary, "--list-config-keys").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"metrics_enabled", "metrics_proxy_latency_buckets_ms", "metrics_async_latency_buckets_ms",
		"proxy_tls_require_client_auth", "origin_tls_server_ca_path", "target_tls_skip_hostname_verification",
		"log_format", "replace_cql_functions", "async_read_compare_sample_rate", "log_mismatch_values"} {
		if !strings.Contains(string(out), k+"\tZDM_"+strings.ToUpper(k)) {
			t.Errorf("--list-config-keys lacks %s", k)
		}
	}
}
