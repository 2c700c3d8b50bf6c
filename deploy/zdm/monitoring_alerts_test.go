package zdm

import (
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/monitoring"
)

func TestPlanMonitoringNodesAndAlerting(t *testing.T) {
	text := strings.Replace(monInv, "prometheus_port: 9091", `prometheus_port: 9091
  alert_webhook_url: http://10.0.0.1:5001/hook
  alert_write_p99_ms: 40
  proxy_max_client_connections: 200`, 1)
	text = strings.Replace(text, "mon: {address: 10.0.0.20,", "p2:\n      mon: {address: 10.0.0.20,", 1) // p2 in both groups
	inv := loadInv(t, text)
	f, err := Plan(inv, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := PlanMonitoring(inv, f, map[string]any{"node_exporter_port": "9101"})
	if err != nil {
		t.Fatal(err)
	}
	want := []monitoring.Target{{Name: "p1", Address: "10.0.0.11:9101"}, {Name: "p2", Address: "10.0.0.12:9101"}, {Name: "mon", Address: "10.0.0.20:9101"}}
	if len(p.NodeTargets) != 3 {
		t.Fatalf("node targets %v, want %v", p.NodeTargets, want)
	}
	for i := range want {
		if p.NodeTargets[i] != want[i] {
			t.Errorf("node target %d: %v, want %v", i, p.NodeTargets[i], want[i])
		}
	}
	// The readiness probe runs where a proxy runs, against its admin port.
	if p.Nodes[0].ReadinessAddr != "127.0.0.1:14002" || p.Nodes[1].ReadinessAddr != "192.168.7.12:14002" || p.Nodes[2].ReadinessAddr != "" {
		t.Errorf("readiness addrs %q %q %q", p.Nodes[0].ReadinessAddr, p.Nodes[1].ReadinessAddr, p.Nodes[2].ReadinessAddr)
	}
	mh := p.Hosts[0]
	for _, want := range []string{"job_name: node", `"10.0.0.20:9101"`, `- "` + monitoring.RulesFile + `"`, `targets: ["127.0.0.1:9093"]`, "job_name: alertmanager"} {
		if !strings.Contains(string(mh.PrometheusConfig), want) {
			t.Errorf("prometheus.yml lacks %s:\n%s", want, mh.PrometheusConfig)
		}
	}
	for _, want := range []string{"> 0.04", `instance="p1"} >= 190`, `instance="p2"} >= 190`} {
		if !strings.Contains(string(mh.Alerting.Rules), want) {
			t.Errorf("rules lack %s", want)
		}
	}
	if !strings.Contains(string(mh.Alerting.AlertmanagerConfig), `url: "http://10.0.0.1:5001/hook"`) {
		t.Errorf("alertmanager.yml:\n%s", mh.Alerting.AlertmanagerConfig)
	}
}

func TestPlanMonitoringAlertVarErrors(t *testing.T) {
	for set, want := range map[string]string{
		"alert_disk_free_percent=100":                 "alert_disk_free_percent",
		"alert_webhook_url=hooks.example.com":         "alert_webhook_url",
		"alert_email_to=ops@example.com":              "alert_email_to",
		"node_exporter_port=0":                        "node_exporter_port",
		"alertmanager_port=http":                      "alertmanager_port",
		"alertmanager_listen_address=somewhere.local": "alertmanager_listen_address",
	} {
		k, v, _ := strings.Cut(set, "=")
		inv := loadInv(t, monInv)
		f, err := Plan(inv, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = PlanMonitoring(inv, f, map[string]any{k: v})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--set %s: %v", set, err)
		}
	}
}
