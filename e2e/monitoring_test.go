//go:build e2e

package e2e

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/internal/testfleet"
	"github.com/zdmctl/zdmctl/monitoring"
)

// TestMonitoring deploys 3 real proxies and Prometheus on a fourth host,
// then asks that Prometheus over its HTTP API whether it scrapes every
// proxy (up == 1, instance = host name) and holds real proxy metrics from
// each; status reports it; a re-deploy changes nothing; a scrape setting
// change reloads Prometheus (same PID); teardown --monitoring leaves
// nothing behind. Beyond the proxies: a node exporter on all 4 hosts
// (job node, every host up, the proxies' readiness probe), the alert rules
// loaded, every dashboard panel's query answered by the live Prometheus,
// and a proxy stopped on purpose raising ZdmProxyDown through
// Alertmanager to a webhook receiver run by this test. PhaseGates: the
// go/no-go checks read live from that Prometheus; rolling-update
// --primary-cluster TARGET refused (exit 3) while async read mismatches
// are injected, --force --reason recorded (zdmctl history), and the gate
// passing once the clusters answer alike (gateEnforced).
func TestMonitoring(t *testing.T) {
	f := NewFleet(t, testfleet.Options{N: 4})
	// Origin and Target as zdm_load_test.go starts them, kept at hand: the
	// gate steps make them answer alike (SetRows) to stop the mismatches.
	var origin, target *cqltest.Cluster
	prev := zdmClusters
	zdmClusters = func(t testing.TB, bridge string) (int, int) {
		listen := net.JoinHostPort(bridge, "0")
		origin = cqltest.Start(t, cqltest.Options{Name: "origin", Username: "cassandra", Password: "origin-s3cret", Listen: listen})
		target = cqltest.Start(t, cqltest.Options{Name: "target", Listen: listen})
		return origin.Port(), target.Port()
	}
	e := newZDMEnv(t, f)
	zdmClusters = prev
	if !zdmRealProxy {
		t.Skip("needs the real zdm-proxy's metrics (ZDMCTL_E2E_PROXY unset)")
	}
	mon := f.Direct()[3]
	e.monitors = []testfleet.Host{mon}
	e.vars["prometheus_scrape_interval"] = "2s"
	// Bound to the host's test-bridge address, as an operator binds them
	// to a private interface: every check below reaches them there.
	e.vars["prometheus_listen_address"] = mon.Address
	e.vars["grafana_listen_address"] = mon.Address
	// The gates' window: short, so that PhaseGates sees mismatches leave
	// it. Both clusters are in-memory in this process on a shared 2-CPU
	// machine: the latency factor is not what this test measures.
	e.vars["gate_window"] = "1m"
	e.vars["gate_target_latency_factor"] = "5"
	e.writeInventory()
	hook := startWebhook(t, f.BridgeAddress)
	e.vars["alert_webhook_url"] = hook.url
	e.writeInventory()
	prom := "http://" + mon.Address + ":9090"
	gate := []string{"--healthy-for", "1s", "--pause", "0s", "--ready-timeout", "60s"}
	t.Cleanup(func() { e.cleanupRun("teardown", "--yes", "--force", "--reason", "e2e cleanup", "--monitoring") })

	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}

	step("LoopbackMetricsRefused", func(t *testing.T) {
		e.vars["metrics_address"] = "localhost"
		e.writeInventory()
		r := e.run(append([]string{"deploy"}, gate...)...)
		if r.code != 2 || !strings.Contains(r.err, `metrics_address: "0.0.0.0"`) {
			t.Fatalf("deploy with the proxies' metrics on localhost: exit %d, stderr %q", r.code, r.err)
		}
		if out := e.exec(mon.Name, "ls -d /opt/zdm-monitoring /etc/zdm-monitoring 2>/dev/null; true"); strings.TrimSpace(out) != "" {
			t.Fatalf("a refused deploy created %s", out)
		}
		e.vars["metrics_address"] = "0.0.0.0"
		e.writeInventory()
	})

	step("ListenAddressNotOnHost", func(t *testing.T) {
		e.vars["prometheus_listen_address"] = "10.255.255.1"
		e.writeInventory()
		r := e.run("deploy", "--monitoring-only")
		e.vars["prometheus_listen_address"] = mon.Address
		e.writeInventory()
		if r.code == 0 || !strings.Contains(r.err, "10.255.255.1 is not an address of this host") {
			t.Fatalf("deploy with a listen address the host lacks: exit %d\n%s", r.code, tail(r.err, 20))
		}
		if out := e.exec(mon.Name, "ls -d /opt/zdm-monitoring /etc/zdm-monitoring 2>/dev/null; true"); strings.TrimSpace(out) != "" {
			t.Fatalf("the refused deploy created %s", out)
		}
	})

	step("Deploy", func(t *testing.T) {
		start := time.Now()
		r := e.run(append([]string{"deploy"}, gate...)...)
		if r.code != 0 {
			t.Fatalf("deploy: exit %d\n%s", r.code, tail(r.err, 20))
		}
		t.Logf("first deploy (3 proxies + monitoring): %s", time.Since(start).Round(time.Millisecond))
		if n := strings.Count(r.err, "Grafana is not deployed on "+mon.Name+": grafana_archive is not set"); n != 1 {
			t.Errorf("want one note that Grafana was skipped, got %d:\n%s", n, r.err)
		}
		for _, want := range []string{"/opt/zdm-monitoring/bin/prometheus", "/etc/zdm-monitoring/prometheus/prometheus.yml",
			"/etc/zdm-monitoring/grafana/dashboards/zdm-proxy.json", "/etc/zdm-monitoring/grafana/provisioning/datasources/zdm-prometheus.yaml",
			"/etc/zdm-monitoring/grafana/provisioning/dashboards/zdm.yaml", "/etc/zdm-monitoring/grafana/dashboards/zdm-hosts.json",
			"/etc/zdm-monitoring/grafana/dashboards/zdm-go-runtime.json", "/etc/zdm-monitoring/prometheus/rules/zdm.rules.yml",
			"/opt/zdm-monitoring/bin/alertmanager", "/etc/zdm-monitoring/alertmanager/alertmanager.yml"} {
			if out := e.exec(mon.Name, "test -s "+want+" && echo yes || echo no"); strings.TrimSpace(out) != "yes" {
				t.Errorf("%s missing on %s", want, mon.Name)
			}
		}
		if u := strings.TrimSpace(e.exec(mon.Name, "stat -c %U /proc/$(systemctl show -p MainPID --value zdm-prometheus)")); u != "zdm-prometheus" {
			t.Errorf("prometheus runs as %q, want zdm-prometheus", u)
		}
		if out := strings.Fields(e.exec(mon.Name, "ss -Hltn 'sport = :9090' | awk '{print $4}'")); len(out) != 1 || out[0] != mon.Address+":9090" {
			t.Errorf("prometheus listens on %v, want only %s:9090 (prometheus_listen_address)", out, mon.Address)
		}
	})

	step("PrometheusScrapesEveryProxy", func(t *testing.T) {
		want := []string{e.hosts[0].Name, e.hosts[1].Name, e.hosts[2].Name}
		var got map[string]string
		ok := poll(90*time.Second, func() bool {
			got = promQuery(t, prom, `up{job="zdm-proxy"}`)
			return len(got) == 3 && got[want[0]] == "1" && got[want[1]] == "1" && got[want[2]] == "1"
		})
		if !ok {
			t.Fatalf("up{job=\"zdm-proxy\"} = %v, want 1 for each of %v", got, want)
		}
		// Real proxy metrics, per instance: open client connections while a
		// driver uses every proxy, and the requests it sent.
		l := startLoad(t, e)
		ok = poll(90*time.Second, func() bool {
			got = promQuery(t, prom, `zdm_client_connections_total{job="zdm-proxy"} > 0`)
			return len(got) == 3 && got[want[0]] != "" && got[want[1]] != "" && got[want[2]] != ""
		})
		var writes map[string]string
		if ok {
			ok = poll(60*time.Second, func() bool {
				writes = promQuery(t, prom, `sum(zdm_proxy_request_duration_seconds_count{job="zdm-proxy", type="writes"}) > 0`)
				return len(writes) == 1
			})
		}
		l.finish(t, "load through the proxies")
		if !ok {
			t.Fatalf("zdm_client_connections_total > 0 per instance: %v; writes counted: %v", got, writes)
		}
		t.Logf("client connections per instance %v, writes %v", got, writes)
	})

	step("NodeExportersAndRules", func(t *testing.T) {
		all := []string{e.hosts[0].Name, e.hosts[1].Name, e.hosts[2].Name, mon.Name}
		var got map[string]string
		if !poll(90*time.Second, func() bool {
			got = promQuery(t, prom, `up{job="node"} == 1`)
			return len(got) == 4 && got[all[0]] != "" && got[all[1]] != "" && got[all[2]] != "" && got[all[3]] != ""
		}) {
			t.Fatalf("up{job=\"node\"} == 1 for %v, want every host of %v", got, all)
		}
		for _, h := range all {
			if u := strings.TrimSpace(e.exec(h, "stat -c %U /proc/$(systemctl show -p MainPID --value zdm-node-exporter)")); u != "zdm-node-exporter" {
				t.Errorf("%s: node exporter runs as %q", h, u)
			}
		}
		if !poll(60*time.Second, func() bool {
			got = promQuery(t, prom, `zdm_proxy_ready{job="node"} == 1`)
			return len(got) == 3
		}) {
			t.Errorf("zdm_proxy_ready == 1 for %v, want the 3 proxies", got)
		}
		rules := promGet(t, prom, "/api/v1/rules")
		for _, a := range []string{"ZdmProxyDown", "ZdmProxyNotReady", "ZdmWritesFailing", "ZdmAsyncReadMismatch", "ZdmWriteLatencyHigh", "ZdmClientConnectionsAtCap", "NodeDown", "NodeDiskNearlyFull", "NodeClockSkew", "ZdmJournalPending", "ZdmJournalNeedsRepair", "ZdmSecondaryWritesFailing", "ZdmSecondaryDisconnected"} {
			if !strings.Contains(rules, `"name":"`+a+`"`) {
				t.Errorf("rule %s not loaded by Prometheus", a)
			}
		}
		if strings.Contains(rules, `"health":"err"`) {
			t.Errorf("a rule fails to evaluate: %.2000s", rules)
		}
		if !poll(30*time.Second, func() bool { return len(promQuery(t, prom, `up{job="alertmanager"} == 1`)) == 1 }) {
			t.Errorf("Prometheus does not reach Alertmanager")
		}
		// Every panel of the three dashboards, as Grafana would send it.
		n, empty := 0, []string{}
		for _, q := range dashboardQueries(t) {
			expr := strings.NewReplacer("$instance", ".*", "$__rate_interval", "1m").Replace(q.expr)
			body := promGet(t, prom, "/api/v1/query?query="+url.QueryEscape(expr))
			var r struct {
				Status string `json:"status"`
				Data   struct {
					Result []json.RawMessage `json:"result"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(body), &r); err != nil || r.Status != "success" {
				t.Errorf("%s: %q: %.300s", q.panel, expr, body)
				continue
			}
			n++
			if len(r.Data.Result) == 0 {
				empty = append(empty, q.panel)
			}
		}
		t.Logf("%d panel queries answered; with no series yet (no such traffic or event): %v", n, empty)
		// Every metric a proxy panel names is in the proxies' /metrics as
		// Prometheus scraped it, but for the counters born at their first
		// event (the hosts' panels: TestNodeExporterMetrics; the test hosts
		// lack timex and real filesystems).
		scraped, start, born := scrapedNames(t, prom, monitoring.Job), servedFromStart(t), map[string]bool{}
		for _, q := range dashboardQueries(t) {
			if !strings.Contains(q.expr, `job="`+monitoring.Job+`"`) {
				continue
			}
			for _, name := range monitoring.MetricNames(q.expr) {
				switch {
				case scraped[name] || name == "up":
				case start[name]:
					t.Errorf("%s: %s is not in the proxies' /metrics", q.panel, name)
				default:
					born[name] = true
				}
			}
		}
		t.Logf("panel metrics not in /metrics yet, born at their first event: %v", born)
		t.Logf("filesystems the node exporters see: %.600s; hosts with timex (NTP) metrics: %v",
			promGet(t, prom, "/api/v1/query?query="+url.QueryEscape(`count by (fstype, mountpoint) (node_filesystem_size_bytes{job="node"})`)),
			promQuery(t, prom, `node_timex_sync_status{job="node"}`))
	})

	step("ProxyDownAlertReachesWebhook", func(t *testing.T) {
		victim := e.hosts[0].Name
		e.exec(victim, "systemctl stop zdm-proxy")
		start := time.Now()
		var alert webhookAlert
		ok := poll(4*time.Minute, func() bool {
			var found bool
			alert, found = hook.find("ZdmProxyDown", victim, "firing")
			return found
		})
		e.exec(victim, "systemctl start zdm-proxy")
		if !ok {
			t.Fatalf("no firing ZdmProxyDown for %s reached the webhook in 4 minutes; got:\n%s\nPrometheus alerts: %.2000s", victim, hook.dump(), promGet(t, prom, "/api/v1/alerts"))
		}
		t.Logf("ZdmProxyDown for %s reached the webhook %s after the stop (rule: for 1m): %s", victim, time.Since(start).Round(time.Second), alert.Annotations["summary"])
		if !poll(90*time.Second, func() bool { return len(promQuery(t, prom, `up{job="zdm-proxy"} == 1`)) == 3 }) {
			t.Fatalf("%s not scraped again after its restart", victim)
		}
	})

	step("Status", func(t *testing.T) {
		d := e.monitorStatus()
		if len(d.Monitors) != 1 || d.Monitors[0].Prometheus != "up" || d.Monitors[0].Grafana != "not deployed" || !d.Monitors[0].PrometheusUp {
			t.Fatalf("status monitoring: %+v", d.Monitors)
		}
		if strings.Contains(d.Summary, "monitoring") {
			t.Errorf("summary mentions monitoring: %q", d.Summary)
		}
	})

	step("RedeployChangesNothing", func(t *testing.T) {
		pid := e.unitPID(mon.Name, "zdm-prometheus")
		start := time.Now()
		r := e.run(append([]string{"deploy", "-o", "json"}, gate...)...)
		if r.code != 0 {
			t.Fatalf("re-deploy: exit %d\n%s", r.code, tail(r.err, 20))
		}
		t.Logf("re-deploy, nothing changed: %s", time.Since(start).Round(time.Millisecond))
		if n := changedCount(t, r); n != 0 {
			t.Fatalf("re-deploy changed %d tasks\n%s", n, r.out)
		}
		if !strings.Contains(r.out, `"host": "`+mon.Name+`"`) {
			t.Fatalf("the monitoring host is not in the run's report:\n%s", tail(r.out, 40))
		}
		if p := e.unitPID(mon.Name, "zdm-prometheus"); p != pid {
			t.Fatalf("prometheus restarted (%s → %s) on a no-op deploy", pid, p)
		}
	})

	step("ScrapeChangeReloads", func(t *testing.T) {
		pid := e.unitPID(mon.Name, "zdm-prometheus")
		e.vars["prometheus_scrape_interval"] = "3s"
		e.writeInventory()
		r := e.run("deploy", "--monitoring-only", "-o", "json")
		if r.code != 0 {
			t.Fatalf("deploy --monitoring-only: exit %d\n%s", r.code, tail(r.err, 20))
		}
		if n := changedCount(t, r); n < 2 { // the config file and the reload
			t.Fatalf("changed %d tasks, want the config and the reload\n%s", n, r.out)
		}
		if p := e.unitPID(mon.Name, "zdm-prometheus"); p != pid {
			t.Fatalf("prometheus restarted (%s → %s) for a config change", pid, p)
		}
		if !poll(30*time.Second, func() bool { return strings.Contains(promGet(t, prom, "/api/v1/status/config"), "scrape_interval: 3s") }) {
			t.Fatalf("Prometheus does not run the new config:\n%s", promGet(t, prom, "/api/v1/status/config"))
		}
	})

	step("CheckModeChangesNothing", func(t *testing.T) {
		pid := e.unitPID(mon.Name, "zdm-prometheus")
		before := e.exec(mon.Name, "sha256sum /etc/zdm-monitoring/prometheus/prometheus.yml")
		e.vars["prometheus_scrape_interval"] = "4s"
		e.writeInventory()
		r := e.run("deploy", "--monitoring-only", "--check", "-o", "json")
		e.vars["prometheus_scrape_interval"] = "3s"
		e.writeInventory()
		if r.code != 0 {
			t.Fatalf("deploy --monitoring-only --check: exit %d\n%s", r.code, tail(r.err, 20))
		}
		if n := changedCount(t, r); n == 0 {
			t.Errorf("--check predicts no change for a new scrape interval\n%s", tail(r.out, 40))
		}
		if after := e.exec(mon.Name, "sha256sum /etc/zdm-monitoring/prometheus/prometheus.yml"); after != before {
			t.Error("--check changed prometheus.yml")
		}
		if p := e.unitPID(mon.Name, "zdm-prometheus"); p != pid {
			t.Errorf("--check restarted prometheus (%s → %s)", pid, p)
		}
	})

	step("GrafanaFromArchive", func(t *testing.T) {
		archive := fakeGrafanaArchive(t, e.dir)
		e.vars["grafana_archive"] = archive
		e.vars["grafana_admin_password"] = "env:ZDM_E2E_GRAFANA_PASSWORD"
		e.writeInventory()
		promPID := e.unitPID(mon.Name, "zdm-prometheus")
		r := e.run("deploy", "--monitoring-only")
		if r.code != 0 {
			t.Fatalf("deploy --monitoring-only with grafana_archive: exit %d\n%s", r.code, tail(r.err, 20))
		}
		if strings.Contains(r.err, "Grafana is not deployed") {
			t.Errorf("Grafana-skipped note with grafana_archive set:\n%s", r.err)
		}
		if strings.Contains(r.out+r.err, "grafana-s3cret") {
			t.Fatal("the Grafana admin password is in zdmctl's output")
		}
		if p := e.unitPID(mon.Name, "zdm-prometheus"); p != promPID {
			t.Errorf("prometheus restarted (%s → %s) for a Grafana change", promPID, p)
		}
		if out := strings.TrimSpace(e.exec(mon.Name, "stat -c '%a %U %G' /etc/zdm-monitoring/grafana/grafana.ini; grep -c '^admin_password = grafana-s3cret$' /etc/zdm-monitoring/grafana/grafana.ini; stat -c %U /proc/$(systemctl show -p MainPID --value zdm-grafana)")); out != "640 root zdm-grafana\n1\nzdm-grafana" {
			t.Errorf("grafana.ini mode/owner, password line, process user: %q", out)
		}
		graf := "http://" + mon.Address + ":3000"
		var ds map[string]any
		if !poll(30*time.Second, func() bool {
			return json.Unmarshal([]byte(promGet(t, graf, "/api/datasources/uid/zdm-prometheus")), &ds) == nil
		}) {
			t.Fatal("Grafana does not serve the provisioned datasource")
		}
		if ds["url"] != prom || ds["type"] != "prometheus" {
			t.Errorf("datasource %v, want url %s", ds, prom)
		}
		if out := strings.Fields(e.exec(mon.Name, "ss -Hltn 'sport = :3000' | awk '{print $4}'")); len(out) != 1 || out[0] != mon.Address+":3000" {
			t.Errorf("grafana listens on %v, want only %s:3000 (grafana_listen_address)", out, mon.Address)
		}
		if body := promGet(t, graf, "/api/dashboards/uid/zdm-proxy"); !strings.Contains(body, "zdm_proxy_request_duration_seconds") {
			t.Errorf("Grafana does not serve the ZDM dashboard: %.200s", body)
		}
		d := e.monitorStatus()
		if len(d.Monitors) != 1 || d.Monitors[0].Prometheus != "up" || d.Monitors[0].Grafana != "up" {
			t.Fatalf("status monitoring: %+v", d.Monitors)
		}
		r = e.run("deploy", "--monitoring-only", "-o", "json")
		if r.code != 0 || changedCount(t, r) != 0 {
			t.Fatalf("re-deploy with Grafana: exit %d, %d changed\n%s", r.code, changedCount(t, r), tail(r.out, 40))
		}
		// Grafana stopped by hand: status says down, not "not deployed".
		e.exec(mon.Name, "systemctl stop zdm-grafana")
		if d := e.monitorStatus(); d.Monitors[0].Grafana != "down" || !strings.Contains(d.Summary, "monitoring down on "+mon.Name) {
			t.Fatalf("status with Grafana stopped: %+v %q", d.Monitors, d.Summary)
		}
	})

	step("PackageInstall", func(t *testing.T) {
		repo := localPrometheusRepo(t, f.BridgeAddress)
		for _, h := range []string{e.hosts[0].Name, e.hosts[1].Name, e.hosts[2].Name, mon.Name} {
			e.exec(h, `mkdir -p /root/apt-saved && mv /etc/apt/sources.list /etc/apt/sources.list.d/* /root/apt-saved/ 2>/dev/null; echo "deb [trusted=yes] `+repo+` ./" > /etc/apt/sources.list.d/zdm-e2e.list`)
		}
		e.vars["monitoring_install"] = "package"
		e.writeInventory()
		r := e.run("deploy", "--monitoring-only")
		if r.code != 0 {
			t.Fatalf("deploy --monitoring-only, monitoring_install: package: exit %d\n%s", r.code, tail(r.err, 30))
		}
		out := e.exec(mon.Name, `dpkg-query -W -f '${Status}\n' prometheus; systemctl show -p ExecStart --value zdm-prometheus | grep -o 'path=[^ ;]*'; systemctl is-enabled prometheus 2>&1; systemctl is-active prometheus 2>&1; journalctl -q --no-pager -o cat _SYSTEMD_UNIT=prometheus.service | grep -q . && echo package-unit-ran; [ -e /opt/zdm-monitoring/bin/prometheus ] && echo uploaded-binary-left; cat /etc/zdm-monitoring/installed-packages; true`)
		t.Logf("after the package install:\n%s", out)
		for _, want := range []string{"install ok installed", "path=/usr/bin/prometheus", "disabled", "inactive", "prometheus"} {
			if !strings.Contains(out, want) {
				t.Errorf("after the package install, want %q in:\n%s", want, out)
			}
		}
		if strings.Contains(out, "uploaded-binary-left") {
			t.Error("the uploaded binary is left beside the package's")
		}
		if strings.Contains(out, "package-unit-ran") {
			t.Errorf("the package's own prometheus.service was started by its install:\n%s", out)
		}
		for _, h := range []string{e.hosts[0].Name, mon.Name} {
			out := e.exec(h, `dpkg-query -W -f '${Status}\n' prometheus-node-exporter; systemctl show -p ExecStart --value zdm-node-exporter | grep -o 'path=[^ ;]*'; systemctl is-active prometheus-node-exporter 2>&1; true`)
			for _, want := range []string{"install ok installed", "path=/usr/bin/prometheus-node-exporter", "inactive"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s after the package install, want %q in:\n%s", h, want, out)
				}
			}
		}
		if out := e.exec(mon.Name, `systemctl show -p ExecStart --value zdm-alertmanager | grep -o 'path=[^ ;]*'; systemctl is-active prometheus-alertmanager 2>&1; true`); !strings.Contains(out, "path=/usr/bin/prometheus-alertmanager") || !strings.Contains(out, "inactive") {
			t.Errorf("alertmanager after the package install:\n%s", out)
		}
		if !poll(60*time.Second, func() bool { return len(promQuery(t, prom, `up{job="node"} == 1`)) == 4 }) {
			t.Errorf("packaged node exporters not all up")
		}
		var got map[string]string
		if !poll(60*time.Second, func() bool {
			got = promQuery(t, prom, `up{job="zdm-proxy"} == 1`)
			return len(got) == 3
		}) {
			t.Fatalf("the packaged Prometheus scrapes %v, want 3 proxies up", got)
		}
		r = e.run("deploy", "--monitoring-only", "-o", "json")
		if r.code != 0 || changedCount(t, r) != 0 {
			t.Fatalf("re-deploy (package): exit %d, %d changed\n%s", r.code, changedCount(t, r), tail(r.out, 40))
		}
	})

	step("PhaseGates", func(t *testing.T) {
		type report = phaseReport
		phase := func() report {
			r := e.run("phase", "-o", "json")
			var doc struct {
				OK   bool   `json:"ok"`
				Data report `json:"data"`
			}
			if r.code != 0 || json.Unmarshal([]byte(r.out), &doc) != nil || !doc.OK {
				t.Fatalf("phase -o json: exit %d\n%s\n%s", r.code, r.out, tail(r.err, 10))
			}
			rep := doc.Data
			for _, c := range rep.Checks {
				t.Logf("phase %d → %s: %v %s = %s %s", rep.Number, rep.Next, c.Pass, c.Name, c.Value, c.Error)
			}
			return rep
		}
		// Phase 1, after the load of PrometheusScrapesEveryProxy: every
		// check passes, read live from Prometheus over SSH.
		if rep := phase(); rep.Number != 1 || !rep.Go || len(rep.Checks) != 3 {
			t.Fatalf("phase 1 gates: %+v", rep)
		}
		// Phase 3 with answers that differ: each in-memory cluster names
		// itself in its rows, so every compared read mismatches, and the
		// gate before --primary-cluster TARGET says no, with the rate.
		// Saved: the gate before the switch wants no drift from the
		// inventory.
		if r := e.run(append([]string{"rolling-update", "--read-mode", "DUAL_ASYNC_ON_SECONDARY"}, gate...)...); r.code != 0 || !strings.Contains(r.err, "go:    yes, every check passes") {
			t.Fatalf("rolling-update --read-mode DUAL_ASYNC_ON_SECONDARY (its gate passes): exit %d\n%s", r.code, tail(r.err, 20))
		}
		e.vars["read_mode"] = "DUAL_ASYNC_ON_SECONDARY"
		l := startLoad(t, e)
		ok := poll(90*time.Second, func() bool {
			return len(promQuery(t, prom, `sum(zdm_async_read_mismatch_total{job="zdm-proxy"}) > 0`)) == 1
		})
		l.finish(t, "load with DUAL_ASYNC_ON_SECONDARY")
		if !ok {
			t.Fatal("Prometheus saw no async read mismatch")
		}
		rep := phase()
		if rep.Number != 3 || rep.Go || !strings.Contains(rep.Next, "--primary-cluster TARGET") {
			t.Fatalf("phase 3 gates with mismatches: %+v", rep)
		}
		found := false
		for _, c := range rep.Checks {
			if strings.HasPrefix(c.Name, "async read mismatch rate") {
				found = true
				if v, err := strconv.ParseFloat(c.Value, 64); c.Pass || err != nil || v < 0.5 {
					t.Errorf("mismatch rate check: %+v, want FAIL near 1 (every compared read differs)", c)
				}
			}
			if strings.HasPrefix(c.Name, "async reads compared") && !c.Pass {
				t.Errorf("reads compared: %+v", c)
			}
		}
		if !found {
			t.Errorf("no mismatch rate check: %+v", rep.Checks)
		}
		if out := e.run("phase"); !strings.Contains(out.out, "FAIL  async read mismatch rate") || !strings.Contains(out.out, "go:    no,") {
			t.Errorf("phase text:\n%s", out.out)
		}
		gateEnforced(t, e, gate, phase, origin, target)
	})

	step("TeardownLeavesNothing", func(t *testing.T) {
		r := e.run("teardown", "--yes", "--monitoring")
		if r.code != 0 {
			t.Fatalf("teardown --monitoring: exit %d\n%s", r.code, tail(r.err, 20))
		}
		for _, h := range []string{e.hosts[0].Name, e.hosts[1].Name, e.hosts[2].Name, mon.Name} {
			out := e.exec(h, `for p in /opt/zdm-monitoring /etc/zdm-monitoring /var/lib/zdm-monitoring /etc/systemd/system/zdm-prometheus.service /etc/systemd/system/zdm-grafana.service /etc/systemd/system/zdm-alertmanager.service /etc/systemd/system/zdm-node-exporter.service /etc/systemd/system/zdm-readiness-probe.service; do [ -e $p ] && echo "left: $p"; done
for u in zdm-prometheus zdm-grafana zdm-alertmanager zdm-node-exporter; do getent passwd $u >/dev/null && echo "left: user $u"; getent group $u >/dev/null && echo "left: group $u"; systemctl cat $u >/dev/null 2>&1 && echo "left: unit $u"; done
for p in /proc/[0-9]*; do case "$(cat $p/comm 2>/dev/null)" in prometheus*|alertmanager|node_exporter) echo "left: $(cat $p/comm) process ${p#/proc/}";; esac; done
for port in 9090 9093 9100; do timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null && echo "left: port $port open"; done
for pkg in prometheus prometheus-alertmanager prometheus-node-exporter; do dpkg-query -W -f '${Status}' $pkg 2>/dev/null | grep -q 'install ok installed' && echo "left: the $pkg package"; done
true`)
			if strings.TrimSpace(out) != "" {
				t.Errorf("teardown --monitoring left on %s:\n%s", h, out)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		d := e.monitorStatus()
		if len(d.Monitors) != 1 || d.Monitors[0].Prometheus != "not deployed" || !strings.Contains(d.Summary, "monitoring not deployed on "+mon.Name) {
			t.Fatalf("status after teardown: %+v %q", d.Monitors, d.Summary)
		}
	})
}

type monitorStatusDoc struct {
	Monitors []struct {
		Host         string `json:"host"`
		Prometheus   string `json:"prometheus"`
		Grafana      string `json:"grafana"`
		PrometheusUp bool   `json:"prometheus_up"`
	} `json:"monitoring"`
	Summary string `json:"summary"`
}

func (e *zdmEnv) monitorStatus() monitorStatusDoc {
	e.t.Helper()
	r := e.run("status", "-o", "json")
	var doc struct {
		Data *monitorStatusDoc `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil || doc.Data == nil {
		e.t.Fatalf("status JSON (data under \"data\"): %v\n%s", err, r.out)
	}
	return *doc.Data
}

func (e *zdmEnv) unitPID(host, unit string) string {
	return strings.TrimSpace(e.exec(host, "systemctl show -p MainPID --value "+unit))
}

// poll calls fn every 500ms until it holds or limit passes.
func poll(limit time.Duration, fn func() bool) bool {
	deadline := time.Now().Add(limit)
	for {
		if fn() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func promGet(t *testing.T, base, path string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// promQuery runs an instant query and returns value by instance label
// (nil when Prometheus does not answer).
func promQuery(t *testing.T, base, query string) map[string]string {
	body := promGet(t, base, "/api/v1/query?query="+url.QueryEscape(query))
	var doc struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  []any             `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if json.Unmarshal([]byte(body), &doc) != nil || doc.Status != "success" {
		return nil
	}
	out := map[string]string{}
	for _, r := range doc.Data.Result {
		if len(r.Value) == 2 {
			out[r.Metric["instance"]] = fmt.Sprint(r.Value[1])
		}
	}
	return out
}

// fakeGrafanaArchive builds e2e/testdata/fakegrafana and packs it like
// Grafana's linux tarball: grafana-v0.0.0-fake/bin/grafana.
func fakeGrafanaArchive(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "fakegrafana")
	cmd := exec.Command("go", "build", "-o", bin, "./e2e/testdata/fakegrafana")
	cmd.Dir = repoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build fakegrafana: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "grafana-0.0.0-fake.linux-amd64.tar.gz")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(fh)
	tw := tar.NewWriter(gz)
	for _, d := range []string{"grafana-v0.0.0-fake/", "grafana-v0.0.0-fake/bin/"} {
		tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755, Uid: 1234, Gid: 1234})
	}
	tw.WriteHeader(&tar.Header{Name: "grafana-v0.0.0-fake/bin/grafana", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(data)), Uid: 1234, Gid: 1234})
	tw.Write(data)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	gz.Close()
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// localPrometheusRepo serves, on the bridge address, a flat apt repository
// with Debian's prometheus package and what it needs beyond the test
// hosts' base system (the hosts have no internet), downloaded with
// apt-get once into the fleet cache. It returns the repository's URL.
func localPrometheusRepo(t *testing.T, bridge string) string {
	t.Helper()
	dir := filepath.Join(filepath.Dir(testfleet.DefaultCacheDir), "debs-prometheus-am-ne")
	if _, err := os.Stat(filepath.Join(dir, "Packages")); err != nil {
		base := filepath.Join(testfleet.DefaultCacheDir, "var/lib/dpkg")
		script := `set -e
tmp=$(mktemp -d "$DIR.XXXXXX")
cd "$tmp"
pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances prometheus prometheus-alertmanager prometheus-node-exporter | grep -v '^ ' | grep -v '^<' | sort -u)
need=""
for p in $pkgs; do
  dpkg-query --admindir="$BASE" -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need="$need $p"
done
apt-get download -q $need >/dev/null
for d in *.deb; do
  dpkg-deb -f "$d"
  echo "Filename: ./$d"
  echo "Size: $(stat -c %s "$d")"
  echo "SHA256: $(sha256sum < "$d" | cut -d' ' -f1)"
  echo
done > Packages
gzip -k Packages
rm -rf "$DIR"; mv "$tmp" "$DIR"
`
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = append(os.Environ(), "DIR="+dir, "BASE="+base)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("cannot build a local apt repository with prometheus (apt-get download): %v\n%s", err, out)
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(bridge, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
