package zdm

import (
	"errors"
	"fmt"
	"slices"

	"github.com/zdmctl/zdmctl/internal/spell"
	"github.com/zdmctl/zdmctl/inventory"
)

// MonitoringVars are the settings of the monitoring hosts.
var MonitoringVars = []string{
	"prometheus_port", "prometheus_listen_address", "grafana_listen_address", "prometheus_retention", "prometheus_scrape_interval", "prometheus_binary",
	"monitoring_install", "grafana_archive", "grafana_install", "grafana_apt_repo", "grafana_apt_key", "grafana_port", "grafana_admin_password", "grafana_prometheus_url",
	// node exporters, alert rules and Alertmanager (monitoring_alerts.go)
	"node_exporter_port", "node_exporter_binary", "alertmanager_port", "alertmanager_listen_address", "alertmanager_binary",
	"alert_webhook_url", "alert_email_to", "alert_email_from", "alert_smtp_smarthost", "alert_smtp_username", "alert_smtp_password",
	"alert_write_p99_ms", "alert_disk_free_percent", "alert_clock_skew_ms",
}

// maxVarTypo is the largest edit distance (separators and case ignored)
// at which an unknown var is taken for a misspelt known one.
const maxVarTypo = 2

// KnownVars are the vars the zdm playbooks read: the proxy's settings,
// then the monitoring ones.
func KnownVars() []string {
	out := make([]string, 0, len(keys)+len(MonitoringVars))
	for _, k := range keys {
		out = append(out, k.name)
	}
	out = append(out, MonitoringVars...)
	return append(out, GateVars...)
}

type varLister interface {
	VarSources() []inventory.VarAt
}

// checkVarNames stops a misspelt setting (proxy_listen_prot) that would
// otherwise be ignored while the proxy runs with the default the operator
// meant to change. Vars far from every known name are the operator's own
// and pass.
func checkVarNames(inv Inventory) error {
	vl, ok := inv.(varLister)
	if !ok {
		return nil
	}
	known := KnownVars()
	var errs []error
	for _, v := range vl.VarSources() {
		if slices.Contains(known, v.Key) {
			continue
		}
		if near, ok := spell.Nearest(v.Key, known, maxVarTypo); ok {
			errs = append(errs, v.Err(fmt.Sprintf("unknown var; did you mean %s?", near)))
		}
	}
	return errors.Join(errs...)
}
