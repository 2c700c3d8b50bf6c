package zdmcmd

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

// TestMonitoringRolloutSettingsCoverPlaybook: every per-host setting the
// zdm-monitoring playbook reads (index .zdm_<map> .inventory_hostname).key
// is in the map zdmctl passes, for every host, in both install modes and
// with Grafana from a package: a missing key fails the run at its first
// task on a real host.
func TestMonitoringRolloutSettingsCoverPlaybook(t *testing.T) {
	pb, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "..", "playbooks", "builtin", "zdm-monitoring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	uses := regexp.MustCompile(`\(index \.(zdm_[a-z_]+) \.inventory_hostname\)\.([a-z_]+)`).FindAllStringSubmatch(string(pb), -1)
	if len(uses) < 20 {
		t.Fatalf("found %d settings uses in the playbook", len(uses))
	}
	self, err := os.Executable() // a linux/amd64 ELF to stand in for the uploaded binaries
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"upload", "package", "package+grafana"} {
		install, grafana, _ := strings.Cut(mode, "+")
		dir := t.TempDir()
		p := filepath.Join(dir, "inv.yaml")
		monVars := ""
		if grafana != "" {
			key := filepath.Join(dir, "grafana.gpg")
			if err := os.WriteFile(key, []byte{0x99, 0x00, 0x01, 0x04}, 0o600); err != nil {
				t.Fatal(err)
			}
			monVars = `, vars: {grafana_install: package, grafana_apt_repo: "deb [signed-by=/etc/apt/keyrings/grafana.gpg] https://apt.grafana.com stable main", grafana_apt_key: ` + key + `}`
		}
		text := `vars:
  origin_contact_points: "10.0.1.1"
  target_contact_points: "10.0.2.1"
  metrics_address: "0.0.0.0"
  monitoring_install: ` + install + `
groups:
  proxies:
    hosts:
      p1: {address: 10.0.0.11}
      p2: {address: 10.0.0.12}
  monitoring:
    hosts:
      mon: {address: 10.0.0.20` + monVars + `}
`
		if install == "upload" {
			text = `vars:
  prometheus_binary: ` + self + `
  node_exporter_binary: ` + self + `
  alertmanager_binary: ` + self + `
` + text[len("vars:\n"):]
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		inv, err := inventory.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		fleet, err := zdm.Plan(inv, nil)
		if err != nil {
			t.Fatal(err)
		}
		e := &Env{Inv: inv, Path: p, Fleet: fleet, Targets: fleet.Names()}
		ro, notes, err := e.MonitoringRollout()
		if err != nil {
			t.Fatalf("%s: %v", install, err)
		}
		mon := ro.Extra["zdm_monitoring"].(map[string]any)["mon"].(map[string]any)
		ini := ro.Extra["zdm_grafana_ini"].(map[string]any)["mon"].(string)
		if grafana != "" {
			if mon["grafana"] != "yes" || mon["grafana_install"] != "package" || mon["grafana_apt_key"] != "yes" || !strings.HasPrefix(mon["grafana_apt_repo"].(string), "deb [signed-by=") {
				t.Errorf("%s: grafana settings %v", mode, mon)
			}
			if !bytes.Equal(ro.Files[grafanaAptKeyFile], []byte{0x99, 0x00, 0x01, 0x04}) || ini == "" || len(notes) != 0 {
				t.Errorf("%s: key %x, grafana.ini %d bytes, notes %q", mode, ro.Files[grafanaAptKeyFile], len(ini), notes)
			}
		} else if mon["grafana"] != "no" || mon["grafana_install"] != "none" || ro.Files[grafanaAptKeyFile] != nil || ini != "" || len(notes) != 1 {
			t.Errorf("%s: no Grafana, yet settings %v, grafana.ini %d bytes, notes %q", mode, mon, len(ini), notes)
		}
		if len(ro.Hosts) != 3 {
			t.Errorf("%s: rollout hosts %v, want the 2 proxies and the monitoring host", install, ro.Hosts)
		}
		for _, u := range uses {
			m, ok := ro.Extra[u[1]].(map[string]any)
			if !ok {
				t.Fatalf("%s: no %s passed to the playbook", install, u[1])
			}
			for host, v := range m {
				if _, ok := v.(map[string]any)[u[2]]; !ok {
					t.Errorf("%s: %s[%s] has no %s", install, u[1], host, u[2])
				}
			}
		}
		if install == "upload" {
			for _, want := range []string{"dashboards/zdm-hosts.json", "dashboards/zdm-go-runtime.json"} {
				if ro.Files[want] == nil {
					t.Errorf("%s not uploaded", want)
				}
			}
		}
	}
}
