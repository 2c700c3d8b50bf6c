//go:build e2e

package e2e

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/zdmctl/zdmctl/internal/testfleet"
)

// TestEngine drives the real zdmctl binary against the shared fleet (3
// hosts, one of them logging in as a sudo user, plus a host reachable only
// through a bastion): a first deploy of testdata/e2e/engine/deploy.yaml,
// an idempotent re-run, check+diff, host key and unreachable-host
// failures, and a serial rollout stopped by a failing host. The subtests
// build on each other and run in order.
func TestEngine(t *testing.T) {
	f := SharedFleet(t)
	engineFixtures(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, ok := f.SudoHost(); !ok {
		t.Fatal("shared fleet has no sudo-user host")
	}
	if _, ok := f.BastionOnly(); !ok {
		t.Fatal("shared fleet has no bastion-only host")
	}
	// A previous run on a kept fleet (ZDMCTL_E2E_FLEET) must not make the
	// first deploy a no-op.
	for _, h := range f.Hosts {
		if _, err := hostSh(ctx, f, h, "systemctl disable --now echod.service 2>/dev/null; rm -rf /opt/echod /etc/echod /etc/systemd/system/echod.service /var/tmp/echod-rolled; systemctl daemon-reload; userdel echod 2>/dev/null; true"); err != nil {
			t.Fatalf("%s: clean: %v", h.Name, err)
		}
	}
	base := fleetArgs(f, "")

	t.Run("first run changes every host and the service answers", func(t *testing.T) {
		r := runZdmctl(t, append(base, "-o", "json", "playbook", "run", "deploy.yaml")...)
		if r.Code != 0 {
			t.Fatalf("want exit 0\n%s", r)
		}
		d := r.doc(t)
		if !d.OK || len(d.Result.Hosts) != len(f.Hosts) {
			t.Fatalf("ok %v, %d hosts in recap, want %d\n%s", d.OK, len(d.Result.Hosts), len(f.Hosts), r)
		}
		for _, h := range f.Hosts {
			rc, ok := d.host(h.Name)
			// user, 2 dirs, binary, config, unit, handler.
			if !ok || rc.Status != "ok" || rc.Changed < 7 || rc.Failed+rc.Unreachable != 0 {
				t.Errorf("%s: recap %+v, want ok with >= 7 changed", h.Name, rc)
			}
			// Progress went to stderr, per host and task.
			if !strings.Contains(r.Stderr, h.Name) || !strings.Contains(r.Stderr, "handler: restart echod") {
				t.Errorf("stderr lacks progress for %s:\n%s", h.Name, r.Stderr)
			}
		}
		for _, h := range f.Hosts {
			checkEchod(ctx, t, f, h, "hello")
		}
	})

	t.Run("second run changes nothing", func(t *testing.T) {
		r := runZdmctl(t, append(base, "-o", "json", "playbook", "run", "deploy.yaml")...)
		if r.Code != 0 {
			t.Fatalf("want exit 0\n%s", r)
		}
		d := r.doc(t)
		for _, h := range f.Hosts {
			rc, ok := d.host(h.Name)
			if !ok || rc.Status != "ok" || rc.Changed != 0 || rc.OK < 7 {
				t.Errorf("%s: recap %+v, want ok with 0 changed", h.Name, rc)
			}
		}
		for _, p := range d.Result.Plays {
			for _, b := range p.Batches {
				for _, tk := range b.Tasks {
					if tk.Handler {
						t.Errorf("%s: handler %q ran on a no-op run", tk.Host, tk.Task)
					}
				}
			}
		}
	})

	t.Run("check and diff show the change and make none", func(t *testing.T) {
		before := map[string]string{}
		for _, h := range f.Hosts {
			out, err := hostSh(ctx, f, h, "cat /etc/echod/echod.conf; stat -c %Y /etc/echod/echod.conf")
			if err != nil {
				t.Fatalf("%s: %v", h.Name, err)
			}
			before[h.Name] = out
		}
		r := runZdmctl(t, append(base, "--check", "--diff", "--set", "greeting=bonjour", "playbook", "run", "deploy.yaml")...)
		if r.Code != 0 {
			t.Fatalf("want exit 0\n%s", r)
		}
		for _, want := range []string{"-greeting = hello", "+greeting = bonjour", "echod.conf"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("diff on stdout lacks %q\n%s", want, r)
			}
		}
		// One diff per host, each with its own host var rendered around it.
		if n := strings.Count(r.Stdout, "+greeting = bonjour"); n != len(f.Hosts) {
			t.Errorf("%d config diffs, want %d\n%s", n, len(f.Hosts), r.Stdout)
		}
		for _, h := range f.Hosts {
			out, err := hostSh(ctx, f, h, "cat /etc/echod/echod.conf; stat -c %Y /etc/echod/echod.conf")
			if err != nil {
				t.Fatalf("%s: %v", h.Name, err)
			}
			if out != before[h.Name] {
				t.Errorf("%s: check mode changed the config:\nbefore %q\nafter  %q", h.Name, before[h.Name], out)
			}
			checkEchod(ctx, t, f, h, "hello")
		}
	})

	t.Run("a binary changed behind zdmctl's back is re-uploaded despite the checksum cache", func(t *testing.T) {
		// A no-op run records the binary's checksum in each host's cache
		// once the binary has been unchanged for 2 s (wait for that).
		age, err := hostSh(ctx, f, f.Hosts[0], "echo $(( $(date +%s) - $(stat -c %Z /opt/echod/echod) ))")
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := strconv.Atoi(strings.TrimSpace(age)); n < 3 {
			time.Sleep(time.Duration(3-n) * time.Second)
		}
		if r := runZdmctl(t, append(base, "playbook", "run", "deploy.yaml")...); r.Code != 0 {
			t.Fatalf("want exit 0\n%s", r)
		}
		entry := fmt.Sprintf("/var/cache/zdmctl/sums/%x", sha256.Sum256([]byte("/opt/echod/echod")))
		for _, h := range f.Hosts {
			out, err := hostSh(ctx, f, h, "tail -n1 "+entry)
			if err != nil || strings.TrimSpace(out) != echodSum {
				t.Fatalf("%s: checksum cache entry %s: %q, %v; want %s", h.Name, entry, out, err, echodSum)
			}
		}
		// Same size, same inode, one byte of the padding changed (the
		// service is stopped first: a running binary cannot be written).
		// The handler the new upload notifies starts it again.
		victim := f.Hosts[len(f.Hosts)-1]
		if _, err := hostSh(ctx, f, victim, fmt.Sprintf("systemctl stop echod && printf X | dd of=/opt/echod/echod bs=1 seek=%d conv=notrunc status=none", echodSize-1)); err != nil {
			t.Fatal(err)
		}
		r := runZdmctl(t, append(base, "-o", "json", "playbook", "run", "deploy.yaml")...)
		if r.Code != 0 {
			t.Fatalf("want exit 0\n%s", r)
		}
		d := r.doc(t)
		for _, h := range f.Hosts {
			rc, _ := d.host(h.Name)
			want := 0
			if h.Name == victim.Name {
				want = 2 // binary, handler
			}
			if rc.Status != "ok" || rc.Changed != want {
				t.Errorf("%s: recap %+v, want %d changed", h.Name, rc, want)
			}
		}
		checkEchod(ctx, t, f, victim, "hello")
	})

	t.Run("a wrong known_hosts key is refused with exit 4", func(t *testing.T) {
		victim := f.Hosts[0]
		real, _, _, _, err := ssh.ParseAuthorizedKey([]byte(victim.HostKey))
		if err != nil {
			t.Fatal(err)
		}
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		fake, err := ssh.NewPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		kh := replaceKnownHost(t, f.KnownHostsFile, victim, fake)
		args := []string{"-i", f.InventoryFile, "--known-hosts", kh, "--ssh-config", f.SSHConfigFile}
		r := runZdmctl(t, append(args, "playbook", "run", "ping")...)
		if r.Code != 4 {
			t.Fatalf("want exit 4\n%s", r)
		}
		all := r.Stdout + r.Stderr
		for _, want := range []string{victim.Name, ssh.FingerprintSHA256(real), ssh.FingerprintSHA256(fake), "HOST KEY CHANGED"} {
			if !strings.Contains(all, want) {
				t.Errorf("output lacks %q\n%s", want, r)
			}
		}
		// JSON: the victim, and the host reached through it as a jump
		// host, are auth failures; every other host finished.
		r = runZdmctl(t, append(args, "-o", "json", "playbook", "run", "ping")...)
		d := r.doc(t)
		if r.Code != 4 || d.ExitCode != 4 {
			t.Fatalf("json: want exit 4\n%s", r)
		}
		for _, h := range f.Hosts {
			rc, _ := d.host(h.Name)
			refused := h.Name == victim.Name || h.Bastion == victim.Name
			switch {
			case refused && (!rc.AuthError || rc.Status != "unreachable" || !strings.Contains(rc.Error, ssh.FingerprintSHA256(fake))):
				t.Errorf("%s: recap %+v, want an auth failure naming the pinned key", h.Name, rc)
			case !refused && rc.Status != "ok":
				t.Errorf("%s: recap %+v, want ok", h.Name, rc)
			}
		}
	})

	t.Run("an unreachable host is reported and the others finish", func(t *testing.T) {
		ghost := "ghost-250"
		addr := subnetAddr(t, f.Subnet, 250)
		inv := writeFile(t, t.TempDir(), "inventory.yaml",
			f.Inventory()+fmt.Sprintf("  ghosts:\n    hosts:\n      %s: {address: %s}\n", ghost, addr))
		r := runZdmctl(t, append(fleetArgs(f, inv), "--connect-timeout", "3s", "-o", "json", "playbook", "run", "deploy.yaml")...)
		if r.Code != 1 {
			t.Fatalf("want exit 1\n%s", r)
		}
		d := r.doc(t)
		if rc, ok := d.host(ghost); !ok || rc.Status != "unreachable" || rc.AuthError {
			t.Errorf("%s (%s): recap %+v, want unreachable\n%s", ghost, addr, rc, r)
		}
		for _, h := range f.Hosts {
			rc, _ := d.host(h.Name)
			if rc.Status != "ok" || rc.OK < 7 {
				t.Errorf("%s: recap %+v, want every task ok", h.Name, rc)
			}
		}
		if !strings.Contains(r.Stderr, ghost) || !strings.Contains(r.Stderr, "UNREACHABLE") {
			t.Errorf("stderr does not report %s unreachable\n%s", ghost, r.Stderr)
		}
	})

	t.Run("a failing host stops a serial rollout", func(t *testing.T) {
		// Inventory order: the regular hosts, then the bastion-only one.
		// serial 1: host 1 rolls, host 2 (the sudo host) fails, the rest
		// must not be touched.
		first, failing := f.Hosts[0], f.Hosts[1]
		rollID := fmt.Sprintf("roll-%d", time.Now().UnixNano())
		// When echod last started on each host: only the rolled host may
		// have restarted it.
		started := func(h testfleet.Host) string {
			out, err := hostSh(ctx, f, h, "systemctl show -p ActiveEnterTimestampMonotonic --value echod")
			if err != nil {
				t.Fatalf("%s: %v", h.Name, err)
			}
			return strings.TrimSpace(out)
		}
		before := map[string]string{}
		for _, h := range f.Hosts {
			before[h.Name] = started(h)
		}
		r := runZdmctl(t, append(base, "-o", "json", "--set", "fail_host="+failing.Name, "--set", "roll_id="+rollID,
			"playbook", "run", "rolling.yaml")...)
		if r.Code != 1 {
			t.Fatalf("want exit 1\n%s", r)
		}
		d := r.doc(t)
		if d.Result.Stopped == "" {
			t.Errorf("result does not say the rollout stopped\n%s", r)
		}
		for _, h := range f.Hosts {
			rc, _ := d.host(h.Name)
			restarted := started(h) != before[h.Name]
			out, err := hostSh(ctx, f, h, "cat /var/tmp/echod-rolled 2>/dev/null || echo absent")
			if err != nil {
				t.Fatalf("%s: %v", h.Name, err)
			}
			marker := strings.TrimSpace(out)
			switch {
			case h.Name == first.Name:
				if rc.Status != "ok" || marker != rollID || !restarted {
					t.Errorf("%s: recap %+v, marker %q, restarted %v; want rolled (%s)", h.Name, rc, marker, restarted, rollID)
				}
			case h.Name == failing.Name:
				if rc.Status != "failed" || marker != "absent" || restarted {
					t.Errorf("%s: recap %+v, marker %q, restarted %v; want failed, untouched", h.Name, rc, marker, restarted)
				}
			default:
				if rc.Status != "not_run" || marker != "absent" || restarted {
					t.Errorf("%s: recap %+v, marker %q, restarted %v; want not_run, untouched", h.Name, rc, marker, restarted)
				}
			}
			checkEchod(ctx, t, f, h, "hello")
		}
	})
}

// checkEchod asserts echod runs on h from the uploaded 25 MB binary and
// answers its port with greeting.
func checkEchod(ctx context.Context, t *testing.T, f *testfleet.Fleet, h testfleet.Host, greeting string) {
	t.Helper()
	out, err := hostSh(ctx, f, h, `systemctl is-active echod; systemctl is-enabled echod; sha256sum /opt/echod/echod; stat -c %s /opt/echod/echod; exec 3<>/dev/tcp/127.0.0.1/7070 && cat <&3`)
	if err != nil {
		t.Errorf("%s: echod check: %v (output %q)", h.Name, err, out)
		return
	}
	want := fmt.Sprintf("active\nenabled\n%s  /opt/echod/echod\n%d\n%s from %s\n", echodSum, echodSize, greeting, h.Name)
	if out != want {
		t.Errorf("%s: echod check:\ngot  %q\nwant %q", h.Name, out, want)
	}
}

// replaceKnownHost copies known_hosts file src with victim's lines
// replaced by one pinning its name and address to key.
func replaceKnownHost(t *testing.T, src string, victim testfleet.Host, key ssh.PublicKey) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	replaced := false
	for _, line := range strings.SplitAfter(string(data), "\n") {
		hosts, _, _ := strings.Cut(line, " ")
		if hosts != "" && strings.Contains(","+hosts+",", ","+victim.Address+",") {
			b.WriteString(knownhosts.Line([]string{victim.Name, victim.Address}, key) + "\n")
			replaced = true
			continue
		}
		b.WriteString(line)
	}
	if !replaced {
		t.Fatalf("%s has no line for %s (%s)", src, victim.Name, victim.Address)
	}
	return writeFile(t, t.TempDir(), "known_hosts", b.String())
}

// subnetAddr returns address .n of an IPv4 /24 like 10.199.2.0/24.
func subnetAddr(t *testing.T, subnet string, n int) string {
	t.Helper()
	prefix, _, ok := strings.Cut(subnet, "/")
	i := strings.LastIndexByte(prefix, '.')
	if !ok || i < 0 {
		t.Fatalf("subnet %q", subnet)
	}
	return fmt.Sprintf("%s.%d", prefix[:i], n)
}
