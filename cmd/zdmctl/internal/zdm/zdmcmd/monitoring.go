package zdmcmd

import (
	"debug/elf"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/monitoring"
)

// MonitoringRollout builds the rollout of the zdm-monitoring playbook on
// every monitoring host, reading the Prometheus binary and Grafana archive
// it uploads; nil when the inventory has no monitoring hosts. Every
// problem is a usage error, found before connecting. notes are lines for
// the operator (Grafana skipped and why).
func (e *Env) MonitoringRollout() (ro *Rollout, notes []string, err error) {
	plan, err := zdm.PlanMonitoring(e.Inv, e.Fleet, e.Overrides)
	if err != nil {
		return nil, nil, cmdutil.UsageError(zdm.InventoryError(e.Path, err))
	}
	if plan == nil {
		return nil, nil, nil
	}
	files := map[string][]byte{}
	settings := map[string]any{}
	promCfg, ds, prov, ini := map[string]any{}, map[string]any{}, map[string]any{}, map[string]any{}
	rules, amCfg := map[string]any{}, map[string]any{}
	var hosts, skipped []string
	for _, mh := range plan.Hosts {
		name := mh.Host.Name
		hosts = append(hosts, name)
		set := map[string]any{
			"install":         mh.Install,
			"prometheus_src":  "",
			"prometheus_port": strconv.Itoa(mh.PrometheusPort),
			// where Prometheus listens, and where checks on the host reach it
			"prometheus_listen":  zdm.ListenFlag(mh.PrometheusAddress, mh.PrometheusPort),
			"prometheus_address": mh.PrometheusAddress,
			"grafana_address":    mh.GrafanaAddress,
			"prometheus_local":   zdm.LocalAddress(mh.PrometheusAddress),
			"grafana_local":      zdm.LocalAddress(mh.GrafanaAddress),
			"prometheus_url":     "http://" + zdm.LocalHostPort(mh.PrometheusAddress, mh.PrometheusPort),
			"grafana_url":        "http://" + zdm.LocalHostPort(mh.GrafanaAddress, mh.GrafanaPort),
			"retention":          mh.Retention,
			"grafana":            "no",
			"grafana_install":    mh.GrafanaInstall,
			"grafana_src":        "",
			"grafana_dir":        "",
			"grafana_apt_repo":   mh.GrafanaAptRepo,
			"grafana_apt_key":    "no",
			"grafana_port":       strconv.Itoa(mh.GrafanaPort),
		}
		if mh.Install == zdm.InstallUpload {
			src, data, err := prometheusBinary(mh.PrometheusBinary)
			if err != nil {
				return nil, nil, cmdutil.UsageError(fmt.Errorf("monitoring host %s: %w", name, err))
			}
			files[src] = data
			set["prometheus_src"] = src
		}
		switch mh.GrafanaInstall {
		case zdm.GrafanaFromArchive:
			data, err := os.ReadFile(mh.GrafanaArchive)
			if err != nil {
				return nil, nil, cmdutil.UsageError(fmt.Errorf("monitoring host %s: var grafana_archive: %w", name, err))
			}
			if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
				return nil, nil, cmdutil.UsageError(fmt.Errorf("monitoring host %s: var grafana_archive %s: not a .tar.gz (want grafana-<version>.linux-amd64.tar.gz)", name, mh.GrafanaArchive))
			}
			dir := "grafana-" + zdm.Hash(data)[:12]
			files[dir+".tar.gz"] = data
			set["grafana"], set["grafana_src"], set["grafana_dir"] = "yes", dir+".tar.gz", dir
			ini[name] = string(mh.GrafanaIni)
		case zdm.GrafanaFromPackage:
			set["grafana"] = "yes"
			if mh.GrafanaAptKey != nil {
				files[grafanaAptKeyFile] = mh.GrafanaAptKey
				set["grafana_apt_key"] = "yes"
			}
			ini[name] = string(mh.GrafanaIni)
		default:
			skipped = append(skipped, name)
			ini[name] = ""
		}
		a := mh.Alerting
		set["alertmanager_port"] = strconv.Itoa(a.AlertmanagerPort)
		set["alertmanager_listen"] = zdm.ListenFlag(a.AlertmanagerAddress, a.AlertmanagerPort)
		set["alertmanager_url"] = "http://" + zdm.LocalHostPort(a.AlertmanagerAddress, a.AlertmanagerPort)
		set["alertmanager_local"] = zdm.LocalAddress(a.AlertmanagerAddress)
		set["alertmanager_src"] = ""
		set["alertmanager_templates"] = "no"
		if mh.Install == zdm.InstallUpload {
			src, data, err := uploadBinary(a.AlertmanagerBinary, "prometheus-alertmanager", "alertmanager_binary", "prometheus-alertmanager")
			if err != nil {
				return nil, nil, cmdutil.UsageError(fmt.Errorf("monitoring host %s: %w", name, err))
			}
			files[src] = data
			set["alertmanager_src"] = src
			// Debian's build reads its notification templates from
			// /usr/share/prometheus/alertmanager (upstream's embeds them):
			// ship them along, bound there for the unit only.
			for _, tmpl := range alertmanagerTemplates {
				if data, err := os.ReadFile(filepath.Join(debianAlertmanagerShare, tmpl)); err == nil {
					files["alertmanager-share/"+tmpl] = data
					set["alertmanager_templates"] = "yes"
				}
			}
		}
		rules[name] = string(a.Rules)
		amCfg[name] = string(a.AlertmanagerConfig)
		settings[name] = set
		promCfg[name] = string(mh.PrometheusConfig)
		ds[name] = string(mh.Datasource)
		prov[name] = string(mh.Provider)
	}
	nodes := map[string]any{}
	var nodeHosts []string
	for _, n := range plan.Nodes {
		set := map[string]any{
			"install": n.Install, "src": "", "port": strconv.Itoa(n.Port),
			"probe": "no", "probe_host": "", "probe_port": "",
		}
		if n.Install == zdm.InstallUpload {
			src, data, err := uploadBinary(n.Binary, "prometheus-node-exporter", "node_exporter_binary", "prometheus-node-exporter")
			if err != nil {
				return nil, nil, cmdutil.UsageError(fmt.Errorf("host %s: %w", n.Host.Name, err))
			}
			files[src] = data
			set["src"] = src
		}
		if n.ReadinessAddr != "" {
			host, port, _ := net.SplitHostPort(n.ReadinessAddr)
			set["probe"], set["probe_host"], set["probe_port"] = "yes", host, port
		}
		nodes[n.Host.Name] = set
		if !slices.Contains(hosts, n.Host.Name) {
			nodeHosts = append(nodeHosts, n.Host.Name)
		}
	}
	var dashboards []any
	for name, data := range monitoring.Dashboards() {
		files["dashboards/"+name] = data
	}
	for _, name := range monitoring.DashboardNames() {
		dashboards = append(dashboards, name)
	}
	if len(skipped) > 0 {
		notes = append(notes, fmt.Sprintf("note: Grafana is not deployed on %s: grafana_archive is not set (Grafana is not a Debian package: give a grafana-<version>.linux-amd64.tar.gz to deploy it, or grafana_install: package for the grafana package from your own repository, grafana_apt_repo). Its datasource and ZDM dashboards are in %s for an existing Grafana (provisioning dir %s).",
			strings.Join(skipped, ", "), monitoring.GrafanaDir, monitoring.GrafanaProvisioning))
	}
	ro = &Rollout{
		Env:      e,
		Command:  "deploy",
		Playbook: "zdm-monitoring",
		Hosts:    append(nodeHosts, hosts...),
		Files:    files,
		Extra: map[string]any{
			"zdm_node_exporter":       nodes,
			"zdm_prometheus_rules":    rules,
			"zdm_alertmanager_config": amCfg,
			"zdm_monitoring":          settings,
			"zdm_prometheus_config":   promCfg,
			"zdm_grafana_datasource":  ds,
			"zdm_grafana_provider":    prov,
			"zdm_grafana_ini":         ini,
			"zdm_dashboards":          dashboards,
		},
	}
	return ro, notes, nil
}

// grafanaAptKeyFile is the uploaded name of grafana_apt_key (binary).
const grafanaAptKeyFile = "grafana-apt-key.gpg"

// debianAlertmanagerShare is where Debian's prometheus-alertmanager looks
// for its notification templates.
const debianAlertmanagerShare = "/usr/share/prometheus/alertmanager"

var alertmanagerTemplates = []string{"default.tmpl", "email.tmpl"}

// prometheusBinary reads path, or the prometheus on this machine's PATH,
// checks it is a linux/amd64 executable and names it by its hash.
func prometheusBinary(path string) (name string, data []byte, err error) {
	return uploadBinary(path, "prometheus", "prometheus_binary", "prometheus")
}

// uploadBinary reads path, or the program on this machine's PATH (from
// the Debian package pkg), checks it is a linux/amd64 executable and names
// it program-<sha256[:12]>.
func uploadBinary(path, program, pathVar, pkg string) (name string, data []byte, err error) {
	if path == "" {
		if path, err = exec.LookPath(program); err != nil {
			return "", nil, fmt.Errorf("no %s on this machine's PATH to upload: install it (apt-get install %s), set %s: /path/to/%s, or monitoring_install: package", program, pkg, pathVar, program)
		}
	}
	f, err := elf.Open(path)
	if err != nil {
		return "", nil, fmt.Errorf("%s %s: not a linux executable: %w", pathVar, path, err)
	}
	machine := f.Machine
	f.Close()
	if machine != elf.EM_X86_64 {
		return "", nil, fmt.Errorf("%s %s: built for %s, the hosts need linux/amd64", pathVar, path, machine)
	}
	if data, err = os.ReadFile(path); err != nil {
		return "", nil, fmt.Errorf("read %s: %w", path, err)
	}
	return program + "-" + zdm.Hash(data)[:12], data, nil
}
