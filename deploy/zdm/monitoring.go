package zdm

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/monitoring"
)

// Monitoring defaults and names on the monitoring hosts.
const (
	PrometheusService = "zdm-prometheus"
	GrafanaService    = "zdm-grafana"
	PrometheusPort    = 9090
	GrafanaPort       = 3000
	// InstallUpload uploads the Prometheus binary from this machine;
	// InstallPackage installs the host's prometheus package.
	InstallUpload  = "upload"
	InstallPackage = "package"
)

// MonitorHost is what one monitoring host gets, from its effective vars.
type MonitorHost struct {
	Host *inventory.Host
	// Install is InstallUpload or InstallPackage (monitoring_install).
	Install string
	// PrometheusBinary is the controller-side file to upload
	// (prometheus_binary; "" = the prometheus on this machine's PATH).
	PrometheusBinary string
	PrometheusPort   int
	// PrometheusAddress and GrafanaAddress are the addresses they listen
	// on (prometheus_listen_address, grafana_listen_address); "" = all.
	PrometheusAddress string
	GrafanaAddress    string
	Retention         string // prometheus_retention
	ScrapeInterval    string // prometheus_scrape_interval
	// GrafanaArchive is the controller-side Grafana .tar.gz
	// (grafana_archive); "" = Grafana is not deployed, only its files.
	GrafanaArchive string
	// GrafanaInstall is GrafanaFromArchive, GrafanaFromPackage or
	// GrafanaNone (grafana_install; default archive when grafana_archive
	// is set, else none).
	GrafanaInstall string
	// GrafanaAptRepo is the APT source line written on the host
	// (grafana_apt_repo; "" = the host's own repositories) and
	// GrafanaAptKey its binary OpenPGP key (grafana_apt_key, dearmored;
	// nil = none uploaded), both only with GrafanaFromPackage.
	GrafanaAptRepo string
	GrafanaAptKey  []byte
	GrafanaPort    int
	// Rendered files.
	PrometheusConfig []byte
	Datasource       []byte
	Provider         []byte
	GrafanaIni       []byte // nil with GrafanaNone
	// Alerting: rules and Alertmanager (monitoring_alerts.go).
	Alerting *AlertingHost
}

// MonitorPlan is the monitoring deployment of an inventory.
type MonitorPlan struct {
	Hosts   []*MonitorHost
	Targets []monitoring.Target
	// Nodes get a node exporter (proxies and monitoring hosts).
	Nodes       []*NodeHost
	NodeTargets []monitoring.Target
}

// PlanMonitoring renders the monitoring files of every host of the
// monitoring group; nil when the inventory has none. Errors are one line
// naming the host and var.
func PlanMonitoring(inv Inventory, f *Fleet, overrides map[string]any) (*MonitorPlan, error) {
	if len(f.Monitors) == 0 {
		return nil, nil
	}
	targets, err := ScrapeTargets(f)
	if err != nil {
		return nil, err
	}
	p := &MonitorPlan{Targets: targets}
	if p.Nodes, p.NodeTargets, err = planNodes(inv, f, overrides); err != nil {
		return nil, err
	}
	for _, h := range f.Monitors {
		vars, err := inv.EffectiveVars(h.Name, overrides)
		if err != nil {
			return nil, err // names the host, or the file and line
		}
		mh, err := planMonitorHost(h, vars, targets)
		if err == nil {
			mh.Alerting, err = planAlerting(f, vars)
			if err == nil {
				mh.PrometheusConfig, err = monitoring.RenderPrometheus(monitoring.PrometheusOptions{
					Targets: targets, ScrapeInterval: mh.ScrapeInterval, NodeTargets: p.NodeTargets,
					RuleFiles:    []string{monitoring.RulesFile},
					Alertmanager: LocalHostPort(mh.Alerting.AlertmanagerAddress, mh.Alerting.AlertmanagerPort),
					Self:         net.JoinHostPort(boundOr(mh.PrometheusAddress, "localhost"), strconv.Itoa(mh.PrometheusPort)), SelfName: h.Name,
				})
			}
		}
		if err != nil {
			return nil, locate(inv, h.Name, overrides, fmt.Errorf("monitoring: %w", err))
		}
		p.Hosts = append(p.Hosts, mh)
	}
	return p, nil
}

func planMonitorHost(h *inventory.Host, vars map[string]any, targets []monitoring.Target) (*MonitorHost, error) {
	mh := &MonitorHost{Host: h}
	var err error
	if mh.PrometheusPort, err = portVar(vars, "prometheus_port", PrometheusPort); err != nil {
		return nil, err
	}
	if mh.GrafanaPort, err = portVar(vars, "grafana_port", GrafanaPort); err != nil {
		return nil, err
	}
	if mh.PrometheusAddress, err = listenVar(vars, "prometheus_listen_address"); err != nil {
		return nil, err
	}
	if mh.GrafanaAddress, err = listenVar(vars, "grafana_listen_address"); err != nil {
		return nil, err
	}
	mh.Install = strings.ToLower(strVar(vars, "monitoring_install", InstallUpload))
	if mh.Install != InstallUpload && mh.Install != InstallPackage {
		return nil, varErrorf("monitoring_install", "%q: allowed %s, %s", mh.Install, InstallUpload, InstallPackage)
	}
	mh.PrometheusBinary = strVar(vars, "prometheus_binary", "")
	if mh.PrometheusBinary != "" && mh.Install == InstallPackage {
		return nil, varErrorf("prometheus_binary", "set, but monitoring_install is %s: set one", InstallPackage)
	}
	mh.Retention = strVar(vars, "prometheus_retention", "15d")
	if _, err := monitoring.ParseDuration(mh.Retention); err != nil {
		return nil, varErrorf("prometheus_retention", "%q: %w", mh.Retention, err)
	}
	interval := strVar(vars, "prometheus_scrape_interval", "15s")
	if _, err := monitoring.ParseDuration(interval); err != nil {
		return nil, varErrorf("prometheus_scrape_interval", "%q: %w", interval, err)
	}
	mh.ScrapeInterval = interval
	mh.GrafanaArchive = strVar(vars, "grafana_archive", "")
	if err := planGrafanaInstall(mh, vars); err != nil {
		return nil, err
	}
	if mh.PrometheusConfig, err = monitoring.RenderPrometheus(monitoring.PrometheusOptions{
		Targets: targets, ScrapeInterval: interval,
		Self: net.JoinHostPort(boundOr(mh.PrometheusAddress, "localhost"), strconv.Itoa(mh.PrometheusPort)), SelfName: h.Name,
	}); err != nil {
		return nil, fmt.Errorf("var %w", err)
	}
	url := strVar(vars, "grafana_prometheus_url", "http://"+net.JoinHostPort(boundOr(mh.PrometheusAddress, h.Address), strconv.Itoa(mh.PrometheusPort)))
	if mh.Datasource, err = monitoring.RenderDatasource(monitoring.DatasourceOptions{Host: h.Name, URL: url, ScrapeInterval: interval}); err != nil {
		return nil, err
	}
	if mh.Provider, err = monitoring.RenderDashboardProvider(monitoring.GrafanaDashboards); err != nil {
		return nil, err
	}
	if mh.GrafanaInstall != GrafanaNone {
		if mh.GrafanaPort == mh.PrometheusPort {
			return nil, fmt.Errorf("grafana_port and prometheus_port are both %d", mh.GrafanaPort)
		}
		if mh.GrafanaIni, err = monitoring.RenderGrafanaIni(monitoring.GrafanaOptions{
			Host: h.Name, Address: mh.GrafanaAddress, Port: mh.GrafanaPort, AdminPassword: strVar(vars, "grafana_admin_password", ""),
		}); err != nil {
			return nil, fmt.Errorf("var %w", err)
		}
	}
	return mh, nil
}

// ScrapeTargets are the proxies' metrics endpoints as Prometheus on
// another host reaches them: metrics_address when it names an address,
// the host's inventory address when it is a wildcard. A loopback
// metrics_address (the proxy's default, localhost) cannot be scraped from
// elsewhere: that is an error naming the hosts and the fix.
func ScrapeTargets(f *Fleet) ([]monitoring.Target, error) {
	var out []monitoring.Target
	var local []string
	for _, h := range f.Proxies {
		v := f.Configs[h.Name].Values
		addr := strings.TrimSpace(v["metrics_address"])
		switch {
		case isLoopback(addr):
			local = append(local, h.Name)
			continue
		case addr == "0.0.0.0" || addr == "::" || addr == "[::]":
			addr = h.Address
		}
		port := v["metrics_port"]
		if port == "" {
			port = strconv.Itoa(AdminPort)
		}
		out = append(out, monitoring.Target{Name: h.Name, Address: net.JoinHostPort(strings.Trim(addr, "[]"), port)})
	}
	if len(local) > 0 {
		return nil, fmt.Errorf("monitoring: Prometheus cannot scrape %s: metrics_address is loopback (the proxy's default is localhost); set metrics_address: \"0.0.0.0\" in the inventory vars so the metrics port (read-only: /metrics and /health/*; the admin API with the status and running config is on admin_address:admin_port, localhost by default) is reachable from the monitoring hosts (on a running fleet: zdmctl rolling-update --set metrics_address=0.0.0.0, a rolling restart)", strings.Join(local, ", "))
	}
	return out, nil
}

// MonitorProbeAddrs are the host:port addresses at which a process on a
// monitoring host reaches its Prometheus and its Grafana, from the host's
// effective vars (defaults where a var is unset or bad: deploy refuses
// those).
func MonitorProbeAddrs(vars map[string]any) (prom, grafana string) {
	pp, err := portVar(vars, "prometheus_port", PrometheusPort)
	if err != nil {
		pp = PrometheusPort
	}
	gp, err := portVar(vars, "grafana_port", GrafanaPort)
	if err != nil {
		gp = GrafanaPort
	}
	pa, _ := listenVar(vars, "prometheus_listen_address")
	ga, _ := listenVar(vars, "grafana_listen_address")
	return LocalHostPort(pa, pp), LocalHostPort(ga, gp)
}

// listenVar reads a listen address var: empty (all addresses) or an IP
// address of the host.
func listenVar(vars map[string]any, key string) (string, error) {
	v := strVar(vars, key, "")
	if v == "" {
		return "", nil
	}
	a := strings.Trim(v, "[]")
	if net.ParseIP(a) == nil {
		return "", varErrorf(key, "%q: allowed an IP address of the host (unset: all addresses)", v)
	}
	return a, nil
}

// boundOr is addr, or def when addr means all addresses.
func boundOr(addr, def string) string {
	if addr == "" || addr == "0.0.0.0" || addr == "::" {
		return def
	}
	return addr
}

// ListenFlag is host:port for a --web.listen-address style flag; all
// addresses when addr is empty.
func ListenFlag(addr string, port int) string {
	if addr == "" {
		return ":" + strconv.Itoa(port)
	}
	return net.JoinHostPort(addr, strconv.Itoa(port))
}

// LocalAddress is the address a process on the host itself uses to reach
// a service listening on addr: loopback when it listens on all addresses.
func LocalAddress(addr string) string { return boundOr(addr, "127.0.0.1") }

// LocalHostPort is LocalAddress(addr) with port, as host:port.
func LocalHostPort(addr string, port int) string {
	return net.JoinHostPort(LocalAddress(addr), strconv.Itoa(port))
}

func isLoopback(addr string) bool {
	a := strings.Trim(addr, "[]")
	if a == "" || strings.EqualFold(a, "localhost") {
		return true
	}
	ip := net.ParseIP(a)
	return ip != nil && ip.IsLoopback()
}

func strVar(vars map[string]any, key, def string) string {
	v, ok := vars[key]
	if !ok || v == nil || fmt.Sprint(v) == "" {
		return def
	}
	return strings.TrimSpace(fmt.Sprint(v))
}

func portVar(vars map[string]any, key string, def int) (int, error) {
	v, ok := vars[key]
	if !ok || v == nil || fmt.Sprint(v) == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(v)))
	if err != nil || n < 1 || n > 65535 {
		return 0, varErrorf(key, "%q: allowed an integer from 1 to 65535", fmt.Sprint(v))
	}
	return n, nil
}
