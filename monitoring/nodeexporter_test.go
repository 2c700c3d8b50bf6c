package monitoring

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// nodeMetricNames runs the node exporter on this machine (the Debian
// build zdmctl uploads, with the flags the zdm-node-exporter unit uses)
// and returns the metric names it serves, zdm_proxy_ready included from
// a textfile as the readiness probe writes it.
func nodeMetricNames(t *testing.T) map[string]bool {
	t.Helper()
	bin := tool(t, "prometheus-node-exporter", "prometheus-node-exporter")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "zdm_proxy_ready.prom"), []byte(ReadinessTextfile(true)), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, NodeExporterArgs(addr, dir)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var body []byte
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("node exporter did not answer on %s: %v\n%s", addr, err, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	names := map[string]bool{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name := line
		if i := strings.IndexAny(line, "{ "); i > 0 {
			name = line[:i]
		}
		names[name] = true
	}
	return names
}

// TestNodeExporterMetrics: every node_* metric a hosts panel or an alert
// rule queries is one the node exporter serves, and the readiness probe's
// textfile is read.
func TestNodeExporterMetrics(t *testing.T) {
	names := nodeMetricNames(t)
	if !names["zdm_proxy_ready"] {
		t.Errorf("zdm_proxy_ready from the textfile collector not served")
	}
	want := map[string][]string{}
	for file, raw := range Dashboards() {
		var d dashboard
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		for _, p := range flatten(d.Panels) {
			for _, tg := range p.Targets {
				for _, n := range MetricNames(tg.Expr) {
					if strings.HasPrefix(n, "node_") || n == "zdm_proxy_ready" {
						want[n] = append(want[n], fmt.Sprintf("%s panel %q", file, p.Title))
					}
				}
			}
		}
	}
	var rf ruleFile
	if err := yaml.Unmarshal(testRules(t), &rf); err != nil {
		t.Fatal(err)
	}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			for _, n := range MetricNames(r.Expr) {
				if strings.HasPrefix(n, "node_") || n == "zdm_proxy_ready" {
					want[n] = append(want[n], "alert "+r.Alert)
				}
			}
		}
	}
	if len(want) < 10 {
		t.Fatalf("only %d node metrics used: %v", len(want), want)
	}
	var missing []string
	for n, where := range want {
		if !names[n] {
			missing = append(missing, fmt.Sprintf("%s (%s)", n, strings.Join(where, ", ")))
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("the node exporter does not serve %s", m)
	}
}
