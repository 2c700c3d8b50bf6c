package zdm

import (
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/playbooks"
)

// The shipped example inventory loads, renders for every proxy, and keeps
// its credentials out of the inventory text.
func TestExampleInventory(t *testing.T) {
	inv, err := inventory.Load("../../inventory/examples/zdm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Plan(inv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.Names(), ","); got != "zdm-proxy-1,zdm-proxy-2,zdm-proxy-3" || len(f.Monitors) != 1 {
		t.Fatalf("proxies %s, monitors %d", got, len(f.Monitors))
	}
	c := f.Configs["zdm-proxy-3"]
	for _, want := range []string{`proxy_topology_addresses: "10.0.0.11,10.0.0.12,10.0.0.13"`, "proxy_topology_index: 2", `origin_local_datacenter: "dc1"`, "metrics_port: 14001"} {
		if !strings.Contains(c.Text, want) {
			t.Errorf("missing %q:\n%s", want, c.Text)
		}
	}
	if !inv.IsSecretKey("origin_password") || c.Values["origin_password"] == "" {
		t.Error("origin_password not resolved or not secret")
	}
	if cps := f.ContactPoints("zdm-proxy-1"); len(cps) != 6 || cps[0] != "origin=10.0.1.1:9042" {
		t.Errorf("contact points %v", cps)
	}
	mp, err := PlanMonitoring(inv, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(mp.Targets) != 3 || mp.Targets[2].Address != "10.0.0.13:14001" || mp.Hosts[0].PrometheusPort != 9090 || mp.Hosts[0].GrafanaArchive != "" {
		t.Errorf("monitoring plan %+v %+v", mp.Targets, mp.Hosts[0])
	}
}

func TestBuiltinPlaybooksParse(t *testing.T) {
	for _, name := range []string{"zdm-deploy", "zdm-restart", "zdm-teardown", "zdm-monitoring", "zdm-teardown-monitoring"} {
		if _, err := playbooks.Builtin(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
