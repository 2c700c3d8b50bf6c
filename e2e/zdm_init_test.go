//go:build e2e

package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/internal/testfleet"
)

// TestZDMInitThenDeploy: `zdmctl init` (flags, as a script would) writes an
// inventory that deploys with no hand edit: its reachability preflight
// reaches the hosts, deploy succeeds with the default gates, status is ok.
func TestZDMInitThenDeploy(t *testing.T) {
	f := SharedFleet(t)
	var hosts []testfleet.Host
	for _, h := range f.Direct() {
		if h.User == "root" && len(hosts) < 2 {
			hosts = append(hosts, h)
		}
	}
	e := newZDMEnvOn(t, f, hosts)
	t.Cleanup(func() { e.cleanupRun("teardown", "--yes") })
	os.Remove(e.inv)
	var addrs []string
	for _, h := range hosts {
		addrs = append(addrs, h.Address)
	}
	r := e.run("init", "--no-prompt", "--proxies", strings.Join(addrs, ","), "--ssh-user", "root", "--ssh-key", f.KeyFile,
		"--origin-contact-points", e.vars["origin_contact_points"], "--origin-port", e.vars["origin_port"],
		"--origin-username", "cassandra", "--origin-password", "env:ZDM_E2E_ORIGIN_PASSWORD",
		"--target-contact-points", e.vars["target_contact_points"], "--target-port", e.vars["target_port"],
		"--known-hosts-file", f.KnownHostsFile)
	if r.code != 0 || strings.Count(r.err, "reachable: ") != len(hosts) {
		t.Fatalf("init: exit %d\n%s", r.code, r.err)
	}
	if r := e.run("inventory", "validate"); r.code != 0 {
		t.Fatalf("validate: exit %d\n%s", r.code, r.err)
	}
	if r := e.run("deploy"); r.code != 0 {
		t.Fatalf("deploy of the inventory init wrote: exit %d\n%s", r.code, tail(r.err, 20))
	}
	if d, r := e.status(); r.code != 0 || !d.OK {
		t.Fatalf("status: exit %d\n%s", r.code, r.out)
	}
}
