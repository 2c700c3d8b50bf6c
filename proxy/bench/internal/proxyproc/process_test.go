package proxyproc

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake-proxy")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStartReportsOutputOfAProxyThatDies(t *testing.T) {
	bin := script(t, `echo "config: unknown key \"bogus\" in $2" >&2; exit 3`)
	port, err := FreePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Start(bin, "/some/cfg.yaml", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}, 10*time.Second)
	if err == nil {
		t.Fatal("Start succeeded for a process that exited")
	}
	for _, want := range []string{"exited before listening", `unknown key "bogus" in /some/cfg.yaml`, "exit status 3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestStartTimesOutAndKillsAProxyThatNeverListens(t *testing.T) {
	bin := script(t, `echo still booting; exec sleep 60`)
	port, err := FreePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Start(bin, "x.yaml", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "not listening") || !strings.Contains(err.Error(), "still booting") {
		t.Fatalf("got %v", err)
	}
}

func TestStartWaitsForListenerAndStops(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// The "proxy" is a sleeper; the test's own listener stands for its port.
	p, err := Start(script(t, "exec sleep 60"), "x.yaml", ln.Addr().(*net.TCPAddr), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Alive() {
		t.Fatal("not alive after start")
	}
	if _, err := p.CPU(); err != nil {
		t.Fatalf("cpu of running proxy: %v", err)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if p.Alive() {
		t.Fatal("alive after Stop")
	}
}

func TestChildEnvDropsZDMVariables(t *testing.T) {
	t.Setenv("ZDM_ORIGIN_PORT", "1")
	t.Setenv("ZDM_BENCH_PROXY_BIN", "/x")
	t.Setenv("KEEP_ME", "1")
	env := strings.Join(childEnv(), "\n")
	if strings.Contains(env, "ZDM_") || !strings.Contains(env, "KEEP_ME=1") {
		t.Fatalf("child env:\n%s", env)
	}
}

func TestConfigYAMLUsesOnlyProxyKeys(t *testing.T) {
	c := Config{
		Origin:      &net.TCPAddr{IP: net.ParseIP("127.0.1.1"), Port: 9001},
		Target:      &net.TCPAddr{IP: net.ParseIP("127.0.1.2"), Port: 9002},
		Listen:      &net.TCPAddr{IP: net.ParseIP("127.0.1.3"), Port: 9003},
		MetricsPort: 14001, PrimaryCluster: ClusterOrigin, ReadMode: ReadModeDualAsyncOnSecondary,
	}
	want := map[string]string{
		"origin_contact_points": "127.0.1.1", "origin_port": "9001",
		"target_contact_points": "127.0.1.2", "target_port": "9002",
		"proxy_listen_address": "127.0.1.3", "proxy_listen_port": "9003",
		"proxy_topology_addresses": "127.0.1.3", "proxy_topology_index": "0",
		"primary_cluster": "ORIGIN", "read_mode": "DUAL_ASYNC_ON_SECONDARY",
		"metrics_address": "127.0.0.1", "metrics_port": "14001",
		"admin_address": "127.0.0.1", "admin_port": "14001", // one listener
	}
	lines := strings.Split(strings.TrimSpace(c.YAML()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), c.YAML())
	}
	for _, l := range lines {
		k, v, _ := strings.Cut(l, ": ")
		if want[k] != v {
			t.Errorf("%s: %q, want %q", k, v, want[k])
		}
	}
}
