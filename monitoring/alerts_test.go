package monitoring

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// tool finds a Prometheus tool or skips: .ci/run installs them
// (Debian prometheus, prometheus-alertmanager).
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not on PATH (apt-get install %s; .ci/run installs it): the rendered files are not checked by it", name, pkg)
	}
	return p
}

func run(t *testing.T, dir, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

func testRules(t *testing.T) []byte {
	t.Helper()
	b, err := RenderRules(RulesOptions{WriteP99Ms: 50, Caps: []ConnectionCap{{"proxy-1", 100}, {"proxy-2", 1000}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert string `yaml:"alert"`
			Expr  string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// TestRulesCheck: promtool accepts the rules and the Prometheus config
// that loads them, and the rules cover what the operator must hear about.
func TestRulesCheck(t *testing.T) {
	rules := testRules(t)
	var rf ruleFile
	if err := yaml.Unmarshal(rules, &rf); err != nil {
		t.Fatalf("rules are not YAML: %v\n%s", err, rules)
	}
	alerts := map[string]string{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = r.Expr
		}
	}
	for _, want := range []string{"ZdmProxyDown", "ZdmProxyNotReady", "ZdmWritesFailing", "ZdmAsyncReadMismatch", "ZdmWriteLatencyHigh", "ZdmClientConnectionsAtCap", "NodeDown", "NodeDiskNearlyFull", "NodeClockSkew", "ZdmJournalPending", "ZdmJournalNeedsRepair", "ZdmSecondaryWritesFailing", "ZdmSecondaryDisconnected"} {
		if alerts[want] == "" {
			t.Errorf("no alert %s", want)
		}
	}
	if !strings.Contains(alerts["ZdmClientConnectionsAtCap"], `instance="proxy-1"} >= 95`) || !strings.Contains(alerts["ZdmClientConnectionsAtCap"], `instance="proxy-2"} >= 950`) {
		t.Errorf("connection caps not per proxy: %s", alerts["ZdmClientConnectionsAtCap"])
	}
	if !strings.Contains(alerts["ZdmWriteLatencyHigh"], "> 0.05") {
		t.Errorf("alert_write_p99_ms 50 not applied: %s", alerts["ZdmWriteLatencyHigh"])
	}
	// Every metric a rule names is served: by the proxy, by the node
	// exporter (checked live in TestNodeExporterMetrics), or by the probe.
	fams := exported(t)
	for name, expr := range alerts {
		for _, m := range MetricNames(expr) {
			if strings.HasPrefix(m, "node_") || m == "zdm_proxy_ready" {
				continue
			}
			if !known(fams, m) {
				t.Errorf("%s uses %s, which the proxy does not export", name, m)
			}
		}
	}

	promtool := tool(t, "promtool", "prometheus")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "zdm.rules.yml"), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	out := run(t, dir, promtool, "check", "rules", "zdm.rules.yml")
	if !strings.Contains(out, "SUCCESS: 13 rules found") {
		t.Errorf("promtool check rules: %s", out)
	}
	cfg, err := RenderPrometheus(PrometheusOptions{
		Targets:      []Target{{"proxy-1", "10.0.0.11:14001"}},
		NodeTargets:  []Target{{"proxy-1", "10.0.0.11:9100"}, {"mon", "10.0.0.20:9100"}},
		RuleFiles:    []string{filepath.Join(dir, "zdm.rules.yml")},
		Alertmanager: "localhost:9093", Self: "localhost:9090", SelfName: "mon",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	out = run(t, dir, promtool, "check", "config", "prometheus.yml")
	if !strings.Contains(out, "SUCCESS: 13 rules found") {
		t.Errorf("promtool check config did not load the rules: %s", out)
	}
}

// TestRulesFire runs the rules on synthetic series with `promtool test
// rules`: each alert fires on the condition it is for, after its "for",
// and stays quiet on a healthy fleet.
func TestRulesFire(t *testing.T) {
	promtool := tool(t, "promtool", "prometheus")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "zdm.rules.yml"), testRules(t), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := `rule_files: [zdm.rules.yml]
evaluation_interval: 15s
tests:
  - interval: 15s
    input_series:
      - series: 'up{job="zdm-proxy", instance="proxy-1"}'
        values: '1 1 0 0 0 0 0 0 0 0'
      - series: 'up{job="zdm-proxy", instance="proxy-2"}'
        values: '1x10'
      - series: 'zdm_proxy_ready{job="node", instance="proxy-2"}'
        values: '1 1 0 0 0 0 0 0 0 0'
      - series: 'zdm_proxy_failed_writes_total{job="zdm-proxy", instance="proxy-2", failed_on="target"}'
        values: '0 0 0 1 1 1 1 1 1 1'
      - series: 'zdm_proxy_failed_writes_total{job="zdm-proxy", instance="proxy-1", failed_on="origin"}'
        values: '0x10'
      - series: 'zdm_async_read_mismatch_total{job="zdm-proxy", instance="proxy-1", keyspace="ks", table="t"}'
        values: '0 0 2 2 2 2 2 2 2 2'
      # born at its first mismatches, as the proxy creates it
      - series: 'zdm_async_read_mismatch_total{job="zdm-proxy", instance="proxy-2", keyspace="ks", table="born"}'
        values: '_ _ 3 3 3 3 3 3 3 3'
      - series: 'zdm_client_connections_total{job="zdm-proxy", instance="proxy-1"}'
        values: '99x30'
      - series: 'zdm_client_connections_total{job="zdm-proxy", instance="proxy-2"}'
        values: '99x30'
      - series: 'node_filesystem_avail_bytes{job="node", instance="mon", mountpoint="/", fstype="ext4"}'
        values: '5x30'
      - series: 'node_filesystem_size_bytes{job="node", instance="mon", mountpoint="/", fstype="ext4"}'
        values: '100x30'
      - series: 'node_timex_offset_seconds{job="node", instance="mon"}'
        values: '0.9x30'
      - series: 'node_timex_offset_seconds{job="node", instance="proxy-2"}'
        values: '0.001x30'
    alert_rule_test:
      - eval_time: 30s
        alertname: ZdmProxyDown
        exp_alerts: []
      - eval_time: 2m
        alertname: ZdmProxyDown
        exp_alerts:
          - exp_labels: {severity: critical, job: zdm-proxy, instance: proxy-1}
            exp_annotations:
              summary: "ZDM proxy proxy-1 does not answer on its metrics port"
              description: "Prometheus could not scrape proxy-1 for 1 minute: the zdm-proxy unit is down or the host is unreachable. Check: zdmctl status."
      - eval_time: 2m
        alertname: ZdmProxyNotReady
        exp_alerts:
          - exp_labels: {severity: critical, job: node, instance: proxy-2}
            exp_annotations:
              summary: "ZDM proxy proxy-2 is not ready"
              description: "/health/readiness has not answered 200 for 1 minute (a cluster unreachable, credentials rejected, or the proxy stopped). Check: zdmctl status."
      - eval_time: 1m
        alertname: ZdmWritesFailing
        exp_alerts:
          - exp_labels: {severity: critical, instance: proxy-2, failed_on: target}
            exp_annotations:
              summary: "Client writes failing on target through proxy-2"
              description: "1 client writes failed on target in 5 minutes. A write that failed on Target only is missing there."
      - eval_time: 1m
        alertname: ZdmAsyncReadMismatch
        exp_alerts:
          - exp_labels: {severity: warning, keyspace: ks, table: born}
            exp_annotations:
              summary: "Async reads of ks.born differ between Origin and Target"
              description: "3 replayed reads returned other rows than the primary in 15 minutes. Do not switch the primary before it is explained (docs/migration.md, phase 3)."
          - exp_labels: {severity: warning, keyspace: ks, table: t}
            exp_annotations:
              summary: "Async reads of ks.t differ between Origin and Target"
              description: "2 replayed reads returned other rows than the primary in 15 minutes. Do not switch the primary before it is explained (docs/migration.md, phase 3)."
      - eval_time: 6m
        alertname: ZdmClientConnectionsAtCap
        exp_alerts:
          - exp_labels: {severity: warning, job: zdm-proxy, instance: proxy-1}
            exp_annotations:
              summary: "proxy-1 has 99 client connections, near proxy_max_client_connections"
              description: "At the cap the proxy refuses new client connections. Raise proxy_max_client_connections or add proxies."
      - eval_time: 6m
        alertname: NodeDiskNearlyFull
        exp_alerts:
          - exp_labels: {severity: warning, job: node, instance: mon, mountpoint: /, fstype: ext4}
            exp_annotations:
              summary: "/ on mon has 5.0% free"
              description: "Under alert_disk_free_percent (10%). Proxy logs (journald) and Prometheus data live on these disks."
      - eval_time: 6m
        alertname: NodeClockSkew
        exp_alerts:
          - exp_labels: {severity: warning, job: node, instance: mon}
            exp_annotations:
              summary: "Clock of mon is off by 900ms"
              description: "More than alert_clock_skew_ms (500 ms) from the Prometheus host's clock or from NTP. Write timestamps come from the clients' clocks; skewed hosts make last-write-wins pick the wrong write."
  # write_mode DUAL_ASYNC_ON_SECONDARY: the journal of missed writes and a
  # secondary that is down. One sample a minute for 25 minutes.
  - interval: 1m
    input_series:
      - series: 'zdm_journal_pending_records{job="zdm-proxy", instance="proxy-1"}'
        values: '0 0 5x23'
      - series: 'zdm_journal_pending_records{job="zdm-proxy", instance="proxy-2"}'
        values: '0 0 3 3 0x21'
      - series: 'zdm_journal_needs_repair_records{job="zdm-proxy", instance="proxy-1"}'
        values: '0x25'
      - series: 'zdm_journal_needs_repair_records{job="zdm-proxy", instance="proxy-2"}'
        values: '0 0 2x23'
      # born at its table's first failure, as the proxy creates it: a
      # single failure must alert too
      - series: 'zdm_secondary_write_failures_total{job="zdm-proxy", instance="proxy-1", cluster="target", keyspace="ks", table="born", reason="timeout"}'
        values: '_ _ 1x23'
      - series: 'zdm_secondary_write_failures_total{job="zdm-proxy", instance="proxy-2", cluster="target", keyspace="ks", table="t", reason="unavailable"}'
        values: '_ _ _ 1 4x21'
      - series: 'zdm_secondary_disconnected_connections{job="zdm-proxy", instance="proxy-1", cluster="target"}'
        values: '0 0 3x23'
      - series: 'zdm_secondary_disconnected_connections{job="zdm-proxy", instance="proxy-1", cluster="origin"}'
        values: '0x25'
      # a reconnection shorter than the rule's 5 minutes stays quiet
      - series: 'zdm_secondary_disconnected_connections{job="zdm-proxy", instance="proxy-2", cluster="target"}'
        values: '0 0 2 2 0x21'
    alert_rule_test:
      - eval_time: 10m
        alertname: ZdmJournalPending
        exp_alerts: []
      - eval_time: 18m
        alertname: ZdmJournalPending
        exp_alerts:
          - exp_labels: {severity: warning, instance: proxy-1}
            exp_annotations:
              summary: "proxy-1 has missed secondary writes pending in its journal"
              description: "5 journal records wait for replay. Do not switch the primary until they drain (docs/migration.md)."
      - eval_time: 1m
        alertname: ZdmJournalNeedsRepair
        exp_alerts: []
      - eval_time: 3m
        alertname: ZdmJournalNeedsRepair
        exp_alerts:
          - exp_labels: {severity: critical, instance: proxy-2}
            exp_annotations:
              summary: "proxy-2 has journal records that need repair"
              description: "2 missed writes could not be replayed; the secondary cluster differs until they are repaired."
      - eval_time: 1m
        alertname: ZdmSecondaryWritesFailing
        exp_alerts: []
      - eval_time: 4m
        alertname: ZdmSecondaryWritesFailing
        exp_alerts:
          - exp_labels: {severity: warning, cluster: target, keyspace: ks, table: born, reason: timeout}
            exp_annotations:
              summary: "Writes of ks.born to target fail (timeout)"
              description: "1 secondary writes failed in 10 minutes; they are journaled for replay."
          - exp_labels: {severity: warning, cluster: target, keyspace: ks, table: t, reason: unavailable}
            exp_annotations:
              summary: "Writes of ks.t to target fail (unavailable)"
              description: "4 secondary writes failed in 10 minutes; they are journaled for replay."
      # 10 minutes after the last failures the alert resolves
      - eval_time: 20m
        alertname: ZdmSecondaryWritesFailing
        exp_alerts: []
      - eval_time: 6m
        alertname: ZdmSecondaryDisconnected
        exp_alerts: []
      - eval_time: 8m
        alertname: ZdmSecondaryDisconnected
        exp_alerts:
          - exp_labels: {severity: warning, instance: proxy-1, cluster: target}
            exp_annotations:
              summary: "proxy-1 runs 3 client connections without the secondary (target)"
              description: "For 5 minutes target has been unreachable from these connections: the proxy is ready but degraded and journals their writes to target (ZdmJournalPending). Check: zdmctl status; once target is back, zdmctl reconcile --apply."
`
	if err := os.WriteFile(filepath.Join(dir, "tests.yml"), []byte(tests), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, dir, promtool, "test", "rules", "tests.yml")
}

// TestAlertmanagerConfig: amtool accepts the rendered receivers; bad
// receivers are refused with the var's name.
func TestAlertmanagerConfig(t *testing.T) {
	for _, bad := range []AlertmanagerOptions{
		{WebhookURL: "hooks.example.com"},
		{EmailTo: "ops@example.com"},
		{EmailTo: "ops@example.com", EmailFrom: "zdm@example.com", SMTPSmarthost: "smtp.example.com"},
	} {
		if _, err := RenderAlertmanager(bad); err == nil || !strings.Contains(err.Error(), "alert_") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	amtool := tool(t, "amtool", "prometheus-alertmanager")
	for i, o := range []AlertmanagerOptions{
		{},
		{WebhookURL: "http://10.0.0.1:5001/hook"},
		{WebhookURL: "https://hooks.example.com/x?token=abc", EmailTo: "ops@example.com", EmailFrom: "zdm@example.com", SMTPSmarthost: "smtp.example.com:587", SMTPUsername: "zdm", SMTPPassword: `p"w'd`},
	} {
		b, err := RenderAlertmanager(o)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		out := run(t, dir, amtool, "check-config", "alertmanager.yml")
		if !strings.Contains(out, "SUCCESS") {
			t.Errorf("%d: %s", i, out)
		}
		if o.SMTPPassword != "" && !strings.Contains(string(b), `"p\"w'd"`) {
			t.Errorf("password not quoted:\n%s", b)
		}
	}
}
