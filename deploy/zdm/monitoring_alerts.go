package zdm

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/monitoring"
)

// Node exporters, the proxies' readiness probe and Alertmanager.
const (
	NodeExporterService   = "zdm-node-exporter"
	ReadinessProbeService = "zdm-readiness-probe"
	AlertmanagerService   = "zdm-alertmanager"
	NodeExporterPort      = 9100
	AlertmanagerPort      = 9093
)

// NodeHost is a host that gets a node exporter: every proxy host and every
// monitoring host (a host in both groups once).
type NodeHost struct {
	Host    *inventory.Host
	Port    int    // node_exporter_port
	Install string // monitoring_install of the host
	// Binary is the controller-side node exporter to upload
	// (node_exporter_binary; "" = prometheus-node-exporter on PATH).
	Binary string
	// ReadinessAddr is host:port of the proxy's admin API as seen from the
	// host itself; "" on a host without a proxy (no readiness probe).
	ReadinessAddr string
}

// AlertingHost is the Alertmanager and rules part of a monitoring host.
type AlertingHost struct {
	AlertmanagerPort    int
	AlertmanagerAddress string // alertmanager_listen_address; "" = all
	// AlertmanagerBinary is the controller-side Alertmanager to upload
	// (alertmanager_binary; "" = prometheus-alertmanager on PATH).
	AlertmanagerBinary string
	Rules              []byte
	AlertmanagerConfig []byte // may hold secrets (SMTP password, webhook token)
}

// planNodes lists the node exporter hosts with their effective settings.
func planNodes(inv Inventory, f *Fleet, overrides map[string]any) ([]*NodeHost, []monitoring.Target, error) {
	var nodes []*NodeHost
	var targets []monitoring.Target
	seen := map[string]bool{}
	for _, h := range append(append([]*inventory.Host{}, f.Proxies...), f.Monitors...) {
		if seen[h.Name] {
			continue
		}
		seen[h.Name] = true
		vars, err := inv.EffectiveVars(h.Name, overrides)
		if err != nil {
			return nil, nil, err
		}
		n := &NodeHost{Host: h}
		if n.Port, err = portVar(vars, "node_exporter_port", NodeExporterPort); err != nil {
			return nil, nil, locate(inv, h.Name, overrides, fmt.Errorf("monitoring: %w", err))
		}
		n.Install = strings.ToLower(strVar(vars, "monitoring_install", InstallUpload))
		if n.Install != InstallUpload && n.Install != InstallPackage {
			return nil, nil, locate(inv, h.Name, overrides, fmt.Errorf("monitoring: %w", varErrorf("monitoring_install", "%q: allowed %s, %s", n.Install, InstallUpload, InstallPackage)))
		}
		n.Binary = strVar(vars, "node_exporter_binary", "")
		if cfg, ok := f.Configs[h.Name]; ok {
			v := cfg.Values
			port, _ := strconv.Atoi(v["metrics_port"])
			if port == 0 {
				port = AdminPort
			}
			n.ReadinessAddr = LocalHostPort(strings.Trim(v["metrics_address"], "[]"), port)
		}
		nodes = append(nodes, n)
		targets = append(targets, monitoring.Target{Name: h.Name, Address: net.JoinHostPort(h.Address, strconv.Itoa(n.Port))})
	}
	return nodes, targets, nil
}

// planAlerting renders a monitoring host's alert rules and Alertmanager
// config from its effective vars.
func planAlerting(f *Fleet, vars map[string]any) (*AlertingHost, error) {
	a := &AlertingHost{}
	var err error
	if a.AlertmanagerPort, err = portVar(vars, "alertmanager_port", AlertmanagerPort); err != nil {
		return nil, err
	}
	if a.AlertmanagerAddress, err = listenVar(vars, "alertmanager_listen_address"); err != nil {
		return nil, err
	}
	a.AlertmanagerBinary = strVar(vars, "alertmanager_binary", "")
	ro := monitoring.RulesOptions{}
	for _, t := range []struct {
		key    string
		dst    *int
		def    int
		lo, hi int
	}{
		{"alert_write_p99_ms", &ro.WriteP99Ms, monitoring.DefaultWriteP99Ms, 1, 3600000},
		{"alert_disk_free_percent", &ro.DiskFreePercent, monitoring.DefaultDiskFreePercent, 1, 99},
		{"alert_clock_skew_ms", &ro.ClockSkewMs, monitoring.DefaultClockSkewMs, 1, 3600000},
	} {
		if *t.dst, err = intVar(vars, t.key, t.def, t.lo, t.hi); err != nil {
			return nil, err
		}
	}
	for _, h := range f.Proxies {
		max, _ := strconv.Atoi(f.Configs[h.Name].Values["proxy_max_client_connections"])
		if max == 0 {
			max = 1000 // the proxy's default
		}
		ro.Caps = append(ro.Caps, monitoring.ConnectionCap{Instance: h.Name, Max: max})
	}
	if a.Rules, err = monitoring.RenderRules(ro); err != nil {
		return nil, err
	}
	if a.AlertmanagerConfig, err = monitoring.RenderAlertmanager(monitoring.AlertmanagerOptions{
		WebhookURL:    strVar(vars, "alert_webhook_url", ""),
		EmailTo:       strVar(vars, "alert_email_to", ""),
		EmailFrom:     strVar(vars, "alert_email_from", ""),
		SMTPSmarthost: strVar(vars, "alert_smtp_smarthost", ""),
		SMTPUsername:  strVar(vars, "alert_smtp_username", ""),
		SMTPPassword:  strVar(vars, "alert_smtp_password", ""),
	}); err != nil {
		return nil, fmt.Errorf("var %w", err)
	}
	return a, nil
}

func intVar(vars map[string]any, key string, def, lo, hi int) (int, error) {
	v, ok := vars[key]
	if !ok || v == nil || fmt.Sprint(v) == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(v)))
	if err != nil || n < lo || n > hi {
		return 0, varErrorf(key, "%q: allowed an integer from %d to %d", fmt.Sprint(v), lo, hi)
	}
	return n, nil
}
