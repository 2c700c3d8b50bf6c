package zdm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/monitoring"
)

func loadInv(t *testing.T, text string) *inventory.Inventory {
	t.Helper()
	p := filepath.Join(t.TempDir(), "inv.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

const monInv = `vars:
  origin_contact_points: "10.0.1.1"
  target_contact_points: "10.0.2.1"
  metrics_address: "0.0.0.0"
  metrics_port: 14002
  prometheus_port: 9091
groups:
  proxies:
    hosts:
      p1: {address: 10.0.0.11}
      p2: {address: 10.0.0.12, vars: {metrics_address: "192.168.7.12"}}
  monitoring:
    hosts:
      mon: {address: 10.0.0.20, vars: {grafana_archive: /tmp/grafana.tar.gz, grafana_admin_password: s3cret}}
`

func TestPlanMonitoring(t *testing.T) {
	inv := loadInv(t, monInv)
	f, err := Plan(inv, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := PlanMonitoring(inv, f, map[string]any{"prometheus_retention": "30d"})
	if err != nil {
		t.Fatal(err)
	}
	want := []monitoring.Target{{Name: "p1", Address: "10.0.0.11:14002"}, {Name: "p2", Address: "192.168.7.12:14002"}}
	if len(p.Targets) != 2 || p.Targets[0] != want[0] || p.Targets[1] != want[1] {
		t.Fatalf("targets %v, want %v", p.Targets, want)
	}
	if len(p.Hosts) != 1 {
		t.Fatalf("hosts %d", len(p.Hosts))
	}
	mh := p.Hosts[0]
	if mh.Install != InstallUpload || mh.PrometheusPort != 9091 || mh.GrafanaPort != GrafanaPort || mh.Retention != "30d" || mh.GrafanaArchive != "/tmp/grafana.tar.gz" {
		t.Errorf("host %+v", mh)
	}
	for _, want := range []string{`"10.0.0.11:14002"`, `instance: "p2"`, `"localhost:9091"`, "job_name: zdm-proxy"} {
		if !strings.Contains(string(mh.PrometheusConfig), want) {
			t.Errorf("prometheus.yml lacks %s:\n%s", want, mh.PrometheusConfig)
		}
	}
	if !strings.Contains(string(mh.Datasource), `url: "http://10.0.0.20:9091"`) || !strings.Contains(string(mh.GrafanaIni), "admin_password = s3cret") {
		t.Errorf("grafana files:\n%s\n%s", mh.Datasource, mh.GrafanaIni)
	}
}

// Listen addresses: Prometheus and Grafana bound to one address of the
// host; Prometheus scrapes itself there, Grafana's datasource points
// there, status probes there.
func TestPlanMonitoringListenAddresses(t *testing.T) {
	text := strings.Replace(monInv, "prometheus_port: 9091", "prometheus_port: 9091\n  prometheus_listen_address: 10.0.0.20\n  grafana_listen_address: \"[::1]\"", 1)
	inv := loadInv(t, text)
	f, err := Plan(inv, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := PlanMonitoring(inv, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	mh := p.Hosts[0]
	if mh.PrometheusAddress != "10.0.0.20" || mh.GrafanaAddress != "::1" {
		t.Errorf("addresses %q %q", mh.PrometheusAddress, mh.GrafanaAddress)
	}
	if !strings.Contains(string(mh.PrometheusConfig), `"10.0.0.20:9091"`) || strings.Contains(string(mh.PrometheusConfig), "localhost:9091") {
		t.Errorf("prometheus.yml self target:\n%s", mh.PrometheusConfig)
	}
	if !strings.Contains(string(mh.Datasource), `url: "http://10.0.0.20:9091"`) || !strings.Contains(string(mh.GrafanaIni), "http_addr = ::1\n") {
		t.Errorf("grafana files:\n%s\n%s", mh.Datasource, mh.GrafanaIni)
	}
	if got := ListenFlag(mh.PrometheusAddress, 9091) + " " + ListenFlag("", 9091) + " " + ListenFlag("::1", 3000); got != "10.0.0.20:9091 :9091 [::1]:3000" {
		t.Errorf("ListenFlag: %s", got)
	}
	vars, _ := inv.EffectiveVars("mon", nil)
	if prom, graf := MonitorProbeAddrs(vars); prom != "10.0.0.20:9091" || graf != "[::1]:3000" {
		t.Errorf("MonitorProbeAddrs: %s %s", prom, graf)
	}
	if prom, graf := MonitorProbeAddrs(map[string]any{}); prom != "127.0.0.1:9090" || graf != "127.0.0.1:3000" {
		t.Errorf("MonitorProbeAddrs defaults: %s %s", prom, graf)
	}
	// Without listen addresses, nothing changes from before: all addresses.
	p, _ = PlanMonitoring(loadInv(t, monInv), f, nil)
	if strings.Contains(string(p.Hosts[0].GrafanaIni), "http_addr") {
		t.Errorf("grafana.ini has http_addr without grafana_listen_address:\n%s", p.Hosts[0].GrafanaIni)
	}
}

func TestPlanMonitoringRejects(t *testing.T) {
	for name, tc := range map[string]struct{ edit, want string }{
		"loopback metrics":   {`metrics_address: "0.0.0.0"`, `metrics_address: "127.0.0.1"`},
		"localhost metrics":  {`metrics_address: "0.0.0.0"`, `metrics_address: localhost`},
		"bad install":        {`prometheus_port: 9091`, `monitoring_install: docker`},
		"bad retention":      {`prometheus_port: 9091`, `prometheus_retention: forever`},
		"bad port":           {`prometheus_port: 9091`, `prometheus_port: 99999`},
		"bad listen address": {`prometheus_port: 9091`, `prometheus_listen_address: eth0`},
		"same ports":         {`prometheus_port: 9091`, `grafana_port: 3000`},
		"binary and package": {`prometheus_port: 9091`, "monitoring_install: package\n  prometheus_binary: /usr/bin/prometheus"},
	} {
		t.Run(name, func(t *testing.T) {
			text := strings.Replace(monInv, tc.edit, tc.want, 1)
			if name == "same ports" {
				text = strings.Replace(monInv, "prometheus_port: 9091", "prometheus_port: 3000", 1)
			}
			inv := loadInv(t, text)
			f, err := Plan(inv, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = PlanMonitoring(inv, f, nil)
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("not one line: %v", err)
			}
			t.Log(err)
		})
	}
}

func TestPlanMonitoringWithoutGroup(t *testing.T) {
	inv := loadInv(t, strings.Split(monInv, "  monitoring:")[0])
	f, err := Plan(inv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := PlanMonitoring(inv, f, nil); p != nil || err != nil {
		t.Fatalf("%v %v", p, err)
	}
}

// metrics_address unset: zdmctl renders 0.0.0.0 (the proxy's own default
// is localhost, which neither the peer proxies nor Prometheus reach), so a
// monitoring host scrapes each proxy at its inventory address.
func TestMetricsAddressDefault(t *testing.T) {
	text := strings.Replace(monInv, "  metrics_address: \"0.0.0.0\"\n", "", 1)
	text = strings.Replace(text, `, vars: {metrics_address: "192.168.7.12"}`, "", 1)
	inv := loadInv(t, text)
	f, err := Plan(inv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Configs["p1"].Values["metrics_address"]; got != "0.0.0.0" {
		t.Fatalf("metrics_address rendered %q, want 0.0.0.0", got)
	}
	if !strings.Contains(f.Configs["p1"].Text, `metrics_address: "0.0.0.0"`) {
		t.Errorf("config file:\n%s", f.Configs["p1"].Text)
	}
	p, err := PlanMonitoring(inv, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []monitoring.Target{{Name: "p1", Address: "10.0.0.11:14002"}, {Name: "p2", Address: "10.0.0.12:14002"}}
	if len(p.Targets) != 2 || p.Targets[0] != want[0] || p.Targets[1] != want[1] {
		t.Fatalf("targets %v, want %v", p.Targets, want)
	}
}
