package validate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/inventory"
)

func TestValidate(t *testing.T) {
	inv := cmdtest.NewInventory("a", "b")
	inv.Vars["origin_contact_points"] = "10.0.1.1"
	inv.Vars["target_contact_points"] = "10.0.2.1"
	f, out, _ := cmdtest.Factory(inv)
	if err := Run(&Options{F: f}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "valid (2 hosts, 1 groups; ZDM settings checked)") {
		t.Fatalf("%s", out)
	}
	f, _, _ = cmdtest.Factory(nil)
	err := Run(&Options{F: f})
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "inv.yaml:3") {
		t.Fatalf("err %v", err)
	}
}

// With a proxies group, validate finds what deploy would refuse: a bad
// value and a misspelt setting, each at its line.
func TestValidateZDMSettings(t *testing.T) {
	p := filepath.Join(t.TempDir(), "zdm.yaml")
	text := `vars:
  origin_contact_points: "10.0.1.1"
  target_contact_points: "10.0.2.1"
groups:
  proxies:
    vars:
      read_mode: DUAL
    hosts:
      p1: {address: 10.0.0.11, vars: {proxy_listen_prot: 9043}}
`
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	f, _, _ := cmdtest.Factory(cmdtest.Inventory{Inventory: inv})
	err = Run(&Options{F: f})
	if want := p + ":9: groups.proxies.hosts.p1.vars.proxy_listen_prot: unknown var; did you mean proxy_listen_port?"; cmdutil.ExitCode(err) != cmdutil.ExitUsage || err.Error() != want {
		t.Fatalf("err %v\nwant %s", err, want)
	}
	// Without the misspelt var, the bad read_mode is next.
	text = strings.Replace(text, ", vars: {proxy_listen_prot: 9043}", "", 1)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if inv, err = inventory.Load(p); err != nil {
		t.Fatal(err)
	}
	f, _, _ = cmdtest.Factory(cmdtest.Inventory{Inventory: inv})
	err = Run(&Options{F: f})
	if want := p + `:7: groups.proxies.vars.read_mode: "DUAL": allowed PRIMARY_ONLY, DUAL_ASYNC_ON_SECONDARY`; err == nil || err.Error() != want {
		t.Fatalf("err %v\nwant %s", err, want)
	}
}

// One validator: what the proxy itself would refuse at start is refused
// by validate, at the line that sets it; so are addresses no fleet can
// use and identity files that do not exist.
func TestValidateWhatTheProxyWouldRefuse(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "zdm.yaml")
	key := filepath.Join(dir, "id")
	os.WriteFile(key, []byte("k"), 0o600)
	base := `vars:
  origin_contact_points: "10.0.1.1"
  target_contact_points: "10.0.2.1"
groups:
  proxies:
    hosts:
      p1: {address: 10.0.0.11, identity_file: ` + key + `}
      p2: {address: 10.0.0.12, identity_file: ` + key + `}
`
	for _, c := range []struct{ from, to, want string }{
		{`origin_contact_points: "10.0.1.1"`, `origin_contact_points: "10.0.1.1:9042"`, p + `:2: vars.origin_contact_points: config: invalid value "10.0.1.1:9042" for key origin_contact_points`},
		{"address: 10.0.0.12", "address: 10.0.0.300", p + `:8: hosts.p2.address: "10.0.0.300" is not a valid IPv4 address`},
		{"address: 10.0.0.12", "address: 10.0.0.11", p + ":8: hosts.p2.address: 10.0.0.11 is also the address of p1 (line 7)"},
		{"p2: {address: 10.0.0.12, identity_file: " + key, "p2: {address: 10.0.0.12, identity_file: " + key + "-gone", p + ":8: hosts.p2.identity_file: identity file " + key + "-gone does not exist"},
	} {
		if err := os.WriteFile(p, []byte(strings.Replace(base, c.from, c.to, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		inv, err := inventory.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		f, _, _ := cmdtest.Factory(cmdtest.Inventory{Inventory: inv})
		err = Run(&Options{F: f})
		if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: err %v\nwant %s...", c.to, err, c.want)
		}
	}
	os.WriteFile(p, []byte(base), 0o600)
	inv, err := inventory.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	f, _, _ := cmdtest.Factory(cmdtest.Inventory{Inventory: inv})
	if err := Run(&Options{F: f}); err != nil {
		t.Fatalf("valid inventory refused: %v", err)
	}
}

// validate warns about a Host block of the ssh config that matches a
// host's inventory name but not its address (it does not apply).
func TestValidateWarnsHostBlockMatchingNameOnly(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ssh_config")
	os.WriteFile(cfg, []byte("Host p*\n  User ops\nHost 10.0.0.12\n  User ok\n"), 0o600)
	inv := cmdtest.NewInventory("p1", "p2")
	inv.Hosts[0].Connection, inv.Hosts[0].Address = "ssh", "10.0.0.11"
	inv.Hosts[1].Connection, inv.Hosts[1].Address = "ssh", "p2"
	inv.Vars["origin_contact_points"] = "10.0.1.1"
	inv.Vars["target_contact_points"] = "10.0.2.1"
	f, _, errOut := cmdtest.Factory(inv)
	f.Settings.SSHConfig = cfg
	if err := Run(&Options{F: f}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), cfg+":1: Host p* matches host p1 by its inventory name") {
		t.Fatalf("no warning for p1:\n%s", errOut)
	}
	if strings.Contains(errOut.String(), "host p2 ") {
		t.Fatalf("p2's address matches the block: no warning wanted:\n%s", errOut)
	}
}
