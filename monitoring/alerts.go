package monitoring

import (
	"fmt"
	"strconv"
	"strings"
)

// More paths on the monitoring hosts and the proxy hosts.
const (
	RulesDir             = ConfigDir + "/prometheus/rules"
	RulesFile            = RulesDir + "/zdm.rules.yml"
	AlertmanagerConfig   = ConfigDir + "/alertmanager/alertmanager.yml"
	AlertmanagerDataDir  = DataDir + "/alertmanager"
	NodeExporterTextfile = DataDir + "/node-exporter"
	// NodeJob is the Prometheus job of the hosts' node exporters.
	NodeJob = "node"
)

// Alert thresholds' defaults (inventory vars alert_*).
const (
	DefaultWriteP99Ms      = 100
	DefaultDiskFreePercent = 10
	DefaultClockSkewMs     = 500
	// ConnectionCapShare is the share of proxy_max_client_connections
	// at which ZdmClientConnectionsAtCap fires.
	ConnectionCapShare = 0.95
)

// ConnectionCap is one proxy's client connection cap.
type ConnectionCap struct {
	Instance string // inventory host name
	Max      int    // proxy_max_client_connections
}

// RulesOptions shape the alert rules.
type RulesOptions struct {
	WriteP99Ms      int // p99 client write latency above this for 10m
	DiskFreePercent int // a filesystem with less free space for 5m
	ClockSkewMs     int // a host clock further off for 5m
	Caps            []ConnectionCap
}

// RenderRules renders the Prometheus alert rules file.
func RenderRules(o RulesOptions) ([]byte, error) {
	if o.WriteP99Ms == 0 {
		o.WriteP99Ms = DefaultWriteP99Ms
	}
	if o.DiskFreePercent == 0 {
		o.DiskFreePercent = DefaultDiskFreePercent
	}
	if o.ClockSkewMs == 0 {
		o.ClockSkewMs = DefaultClockSkewMs
	}
	if o.WriteP99Ms < 0 || o.ClockSkewMs < 0 || o.DiskFreePercent < 0 || o.DiskFreePercent > 100 {
		return nil, fmt.Errorf("alert rules: thresholds out of range: %+v", o)
	}
	type capRule struct {
		Instance  string
		Threshold int
	}
	var caps []capRule
	for _, c := range o.Caps {
		th := int(float64(c.Max) * ConnectionCapShare)
		if th < 1 {
			th = 1
		}
		caps = append(caps, capRule{c.Instance, th})
	}
	return render("assets/prometheus/rules/zdm.rules.yml.tmpl", map[string]any{
		"Job": Job, "NodeJob": NodeJob,
		"WriteP99Ms": o.WriteP99Ms, "WriteP99Seconds": seconds(o.WriteP99Ms),
		"DiskFreePercent": o.DiskFreePercent,
		"ClockSkewMs":     o.ClockSkewMs, "ClockSkewSeconds": seconds(o.ClockSkewMs),
		"ConnectionCaps": caps,
	})
}

func seconds(ms int) string { return strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64) }

// AlertmanagerOptions are the receivers of the alerts.
type AlertmanagerOptions struct {
	WebhookURL    string // alert_webhook_url
	EmailTo       string // alert_email_to
	EmailFrom     string // alert_email_from
	SMTPSmarthost string // alert_smtp_smarthost, host:port
	SMTPUsername  string
	SMTPPassword  string // secret
}

// RenderAlertmanager renders alertmanager.yml (it may hold the SMTP
// password and a webhook URL with a token: install it readable by the
// Alertmanager user only). Without a receiver, alerts are only shown by
// Alertmanager and Prometheus.
func RenderAlertmanager(o AlertmanagerOptions) ([]byte, error) {
	if o.WebhookURL != "" && !strings.HasPrefix(o.WebhookURL, "http://") && !strings.HasPrefix(o.WebhookURL, "https://") {
		return nil, fmt.Errorf("alert_webhook_url: want an http:// or https:// URL")
	}
	if o.EmailTo != "" && (o.EmailFrom == "" || o.SMTPSmarthost == "") {
		return nil, fmt.Errorf("alert_email_to is set: alert_email_from and alert_smtp_smarthost (host:port) are needed too")
	}
	if o.EmailTo != "" && !strings.Contains(o.SMTPSmarthost, ":") {
		return nil, fmt.Errorf("alert_smtp_smarthost %q: want host:port", o.SMTPSmarthost)
	}
	for _, v := range []string{o.WebhookURL, o.EmailTo, o.EmailFrom, o.SMTPSmarthost, o.SMTPUsername, o.SMTPPassword} {
		if strings.ContainsAny(v, "\n\r") {
			return nil, fmt.Errorf("alert receivers: a value holds a newline")
		}
	}
	return render("assets/alertmanager.yml.tmpl", o)
}

// NodeExporterArgs are the node exporter's flags: listen on addr, read
// *.prom files (the proxy readiness probe's) from textfileDir.
func NodeExporterArgs(addr, textfileDir string) []string {
	return []string{"--web.listen-address=" + addr, "--collector.textfile.directory=" + textfileDir}
}

// ReadinessTextfile is what the readiness probe on a proxy host writes
// for the node exporter's textfile collector.
func ReadinessTextfile(ready bool) string {
	v := 0
	if ready {
		v = 1
	}
	return fmt.Sprintf("# HELP zdm_proxy_ready 1 when the proxy on this host answers /health/readiness 200.\n# TYPE zdm_proxy_ready gauge\nzdm_proxy_ready %d\n", v)
}
