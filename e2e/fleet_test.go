//go:build e2e

package e2e

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/zdmctl/zdmctl/internal/testfleet"
)

// TestFleet boots its own fleet (3 hosts + a bastion-only host), checks
// every promise the fleet makes to other tests, takes it down and checks
// that nothing is left.
func TestFleet(t *testing.T) {
	requireRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	f, err := testfleet.Up(ctx, testfleet.Options{N: 3, SudoUserHost: true, BastionHost: true, Ephemeral: true})
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	downed := false
	defer func() {
		if !downed {
			_ = f.Down()
		}
	}()
	if got := len(f.Hosts); got != 4 {
		t.Fatalf("hosts: got %d, want 3 regular + 1 bastion-only", got)
	}

	t.Run("systemd and sshd run on every host", func(t *testing.T) {
		for _, h := range f.Hosts {
			state, err := f.Exec(ctx, h.Name, "systemctl is-system-running --wait")
			var ee *testfleet.ExecError
			if err != nil && !errors.As(err, &ee) {
				t.Fatalf("%s: %v", h.Name, err)
			}
			if s := strings.TrimSpace(state); s != "running" && s != "degraded" {
				failed, _ := f.Exec(ctx, h.Name, "systemctl --failed --no-legend")
				t.Errorf("%s: system state %q, want running or degraded; failed units: %s", h.Name, s, failed)
			}
			for cmd, want := range map[string]string{
				"cat /proc/1/comm":                      "systemd",
				"systemctl is-active ssh.service":       "active",
				"systemctl is-active testfleet-net":     "active",
				"hostname":                              h.Name,
				"id -un":                                h.User,
				"cat /etc/ssh/ssh_host_ed25519_key.pub": strings.Fields(h.HostKey)[1],
			} {
				out, err := f.Exec(ctx, h.Name, cmd)
				if err != nil {
					t.Errorf("%s: %s: %v", h.Name, cmd, err)
					continue
				}
				if !strings.Contains(out, want) {
					t.Errorf("%s: %s: got %q, want %q in it", h.Name, cmd, strings.TrimSpace(out), want)
				}
			}
		}
	})

	t.Run("host keys are checked against known_hosts", func(t *testing.T) {
		// A known_hosts file that pins host 1's address to host 3's key
		// must make the handshake fail: verification is real.
		h1, h3 := f.Hosts[0], f.Hosts[2]
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(h3.HostKey))
		if err != nil {
			t.Fatal(err)
		}
		bad := filepath.Join(t.TempDir(), "known_hosts")
		if err := os.WriteFile(bad, []byte(knownhosts.Line([]string{h1.Address}, pub)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := f.ClientConfig(h1)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.HostKeyCallback, err = knownhosts.New(bad); err != nil {
			t.Fatal(err)
		}
		c, err := ssh.Dial("tcp", net.JoinHostPort(h1.Address, "22"), cfg)
		if err == nil {
			c.Close()
			t.Fatal("handshake with a wrong pinned host key succeeded")
		}
		var ke *knownhosts.KeyError
		if !errors.As(err, &ke) {
			t.Fatalf("want a known_hosts key mismatch, got %v", err)
		}
	})

	t.Run("sudo user has passwordless sudo and root cannot log in there", func(t *testing.T) {
		h, ok := f.SudoHost()
		if !ok {
			t.Fatal("no sudo host")
		}
		if h.User != testfleet.SudoUser || !h.Become {
			t.Fatalf("sudo host %+v", h)
		}
		if _, err := f.Exec(ctx, h.Name, "sudo -n true"); err != nil {
			t.Fatalf("sudo -n true: %v", err)
		}
		out, err := f.Exec(ctx, h.Name, "sudo -n id -u")
		if err != nil || strings.TrimSpace(out) != "0" {
			t.Fatalf("sudo -n id -u: %q, %v", out, err)
		}
		cfg, err := f.ClientConfig(h)
		if err != nil {
			t.Fatal(err)
		}
		cfg.User = "root"
		if c, err := ssh.Dial("tcp", net.JoinHostPort(h.Address, "22"), cfg); err == nil {
			c.Close()
			t.Fatal("root logged in on the sudo host")
		}
		for _, other := range f.Hosts {
			if other.Name == h.Name {
				continue
			}
			if _, err := f.Exec(ctx, other.Name, "test -e /etc/sudoers.d/zdmctl-testfleet"); err == nil {
				t.Errorf("%s: has the deploy sudo rule too", other.Name)
			}
		}
	})

	t.Run("bastion-only host is reachable only through its bastion", func(t *testing.T) {
		h, ok := f.BastionOnly()
		if !ok {
			t.Fatal("no bastion-only host")
		}
		// Directly: the TCP connection itself must fail.
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(h.Address, "22"), 3*time.Second); err == nil {
			c.Close()
			t.Fatalf("direct TCP connection to %s (%s) succeeded", h.Name, h.Address)
		}
		// OpenSSH with the fleet's config but no jump: fails.
		cmd := f.SSHCommand(ctx, h.Name, "true")
		cmd.Args = append([]string{cmd.Args[0], "-o", "ProxyJump=none"}, cmd.Args[1:]...)
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Fatalf("ssh without ProxyJump succeeded: %s", out)
		}
		// OpenSSH with the fleet's config (ProxyJump): works.
		out, err := f.SSHCommand(ctx, h.Name, "hostname").CombinedOutput()
		if err != nil {
			t.Fatalf("ssh -F %s %s hostname: %v: %s", f.SSHConfigFile, h.Name, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != h.Name {
			t.Fatalf("hostname via ProxyJump: got %q, want %q", got, h.Name)
		}
		if out, err := exec.CommandContext(ctx, "ssh", "-F", f.SSHConfigFile, h.Name, "true").CombinedOutput(); err != nil {
			t.Fatalf("ssh -F config %s true: %v: %s", h.Name, err, out)
		}
		// And the bastion itself reaches it directly (login shell: bash).
		banner, err := f.Exec(ctx, h.Bastion, "exec 3<>/dev/tcp/"+h.Address+"/22 && head -c 4 <&3")
		if err != nil || banner != "SSH-" {
			t.Fatalf("bastion %s to %s:22: %q, %v", h.Bastion, h.Address, banner, err)
		}
	})

	t.Run("ssh config reaches every host", func(t *testing.T) {
		for _, h := range f.Hosts {
			out, err := f.SSHCommand(ctx, h.Name, "hostname").CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != h.Name {
				t.Errorf("ssh -F config %s hostname: %q, %v", h.Name, out, err)
			}
		}
	})

	t.Run("inventory lists every host", func(t *testing.T) {
		inv, err := os.ReadFile(f.InventoryFile)
		if err != nil {
			t.Fatal(err)
		}
		s := string(inv)
		for _, want := range []string{
			"defaults: {user: root, identity_file: \"" + f.KeyFile + "\"}",
			"  " + f.Group + ":\n    hosts:\n",
			"  " + testfleet.PrivateGroup + ":\n    hosts:\n",
		} {
			if !strings.Contains(s, want) {
				t.Errorf("inventory lacks %q:\n%s", want, s)
			}
		}
		for _, h := range f.Hosts {
			line := "      " + h.Name + ": {address: " + h.Address
			if h.Become {
				line += ", user: " + h.User + ", become: true"
			}
			if !strings.Contains(s, line) {
				t.Errorf("inventory lacks %q:\n%s", line, s)
			}
		}
	})

	t.Run("a second up of a running fleet is refused", func(t *testing.T) {
		_, err := testfleet.Up(ctx, testfleet.Options{Name: f.Name, N: 1})
		if err == nil || !strings.Contains(err.Error(), "already up") {
			t.Fatalf("want an 'already up' error, got %v", err)
		}
		if _, err := f.Exec(ctx, f.Hosts[0].Name, "true"); err != nil {
			t.Fatalf("fleet broken by the refused up: %v", err)
		}
	})

	t.Run("down removes everything and is idempotent", func(t *testing.T) {
		// Client configs are built first: Down deletes the key files.
		cfgs := map[string]*ssh.ClientConfig{}
		for _, h := range f.Direct() {
			cfg, err := f.ClientConfig(h)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Timeout = 5 * time.Second
			cfgs[h.Address] = cfg
		}
		if err := f.Down(); err != nil {
			t.Fatalf("down: %v", err)
		}
		downed = true
		if left := fleetLeftovers(f); len(left) > 0 {
			t.Fatalf("left after down: %v", left)
		}
		// An SSH handshake, not a bare TCP connect: this machine's egress
		// accepts TCP connections to any address its routes send out.
		for addr, cfg := range cfgs {
			if c, err := ssh.Dial("tcp", net.JoinHostPort(addr, "22"), cfg); err == nil {
				c.Close()
				t.Errorf("%s still answers SSH with the fleet's host key after down", addr)
			}
		}
		if err := f.Down(); err != nil {
			t.Fatalf("second down: %v", err)
		}
		if err := testfleet.Down("", f.Name); err != nil {
			t.Fatalf("down by name after down: %v", err)
		}
	})
}

// TestFleetShared checks the shared fixture other e2e tests use.
func TestFleetShared(t *testing.T) {
	f := SharedFleet(t)
	if again := SharedFleet(t); again != f {
		t.Fatal("SharedFleet booted a second fleet")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, h := range f.Hosts {
		out, err := f.Exec(ctx, h.Name, "hostname")
		if err != nil || strings.TrimSpace(out) != h.Name {
			t.Errorf("%s: hostname %q, %v", h.Name, out, err)
		}
	}
}

// TestFleetCycles boots and takes down a fleet ZDMCTL_E2E_FLEET_CYCLES
// times (skipped when unset), checking every cycle for a working fleet and
// for leftovers: the flake hunt.
func TestFleetCycles(t *testing.T) {
	requireRoot(t)
	n, _ := strconv.Atoi(os.Getenv("ZDMCTL_E2E_FLEET_CYCLES"))
	if n <= 0 {
		t.Skip("set ZDMCTL_E2E_FLEET_CYCLES=N to run N up/down cycles")
	}
	size := 3
	if s, err := strconv.Atoi(os.Getenv("ZDMCTL_E2E_FLEET_N")); err == nil && s > 0 {
		size = s
	}
	for i := range n {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		start := time.Now()
		f, err := testfleet.Up(ctx, testfleet.Options{N: size, SudoUserHost: true, BastionHost: true, Ephemeral: true})
		if err != nil {
			cancel()
			t.Fatalf("cycle %d: up: %v", i, err)
		}
		upTook := time.Since(start)
		for _, h := range f.Hosts {
			state, err := f.Exec(ctx, h.Name, "systemctl is-system-running --wait")
			var ee *testfleet.ExecError
			if err != nil && !errors.As(err, &ee) {
				t.Errorf("cycle %d: %s: %v", i, h.Name, err)
				continue
			}
			if s := strings.TrimSpace(state); s != "running" {
				failed, _ := f.Exec(ctx, h.Name, "systemctl --failed --no-legend --plain")
				if s != "degraded" {
					t.Errorf("cycle %d: %s: system %q; failed units: %s", i, h.Name, s, failed)
				} else {
					t.Logf("cycle %d: %s: degraded; failed units: %s", i, h.Name, failed)
				}
			}
		}
		start = time.Now()
		if err := f.Down(); err != nil {
			t.Errorf("cycle %d: down: %v", i, err)
		}
		cancel()
		if left := fleetLeftovers(f); len(left) > 0 {
			t.Fatalf("cycle %d: left after down: %v", i, left)
		}
		t.Logf("cycle %d: %d hosts up in %s, down in %s", i, len(f.Hosts), upTook.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	}
}

func runOut(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// TestFleetOrphans: a test binary that dies with its fleet up (a timeout
// panic, kill -9) leaves an orphan that the next DownOrphans removes.
func TestFleetOrphans(t *testing.T) {
	requireRoot(t)
	if os.Getenv("ZDMCTL_E2E_ORPHAN_CHILD") != "" {
		t.Skip("child mode runs TestFleetOrphanChild only")
	}
	ready := filepath.Join(t.TempDir(), "fleet-name")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestFleetOrphanChild$", "-test.v")
	cmd.Env = append(os.Environ(), "ZDMCTL_E2E_ORPHAN_CHILD="+ready)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var name string
	deadline := time.Now().Add(5 * time.Minute)
	for name == "" {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("child never brought its fleet up: %s", out)
		}
		name = strings.TrimSpace(readFile(ready))
		time.Sleep(100 * time.Millisecond)
	}
	f, err := testfleet.Load("", name)
	if err != nil {
		t.Fatal(err)
	}
	if err := testfleet.DownOrphans(""); err != nil {
		t.Fatalf("down orphans while the owner lives: %v", err)
	}
	if _, err := testfleet.Load("", name); err != nil {
		t.Fatalf("fleet of a live owner was taken down: %v", err)
	}
	_ = cmd.Process.Kill() // SIGKILL: no cleanup runs in the child
	_ = cmd.Wait()
	if err := testfleet.DownOrphans(""); err != nil {
		t.Fatalf("down orphans: %v", err)
	}
	if left := fleetLeftovers(f); len(left) > 0 {
		t.Fatalf("left after DownOrphans: %v", left)
	}
}

// TestFleetOrphanChild is TestFleetOrphans' child: it brings a fleet up,
// reports its name and waits to be killed.
func TestFleetOrphanChild(t *testing.T) {
	ready := os.Getenv("ZDMCTL_E2E_ORPHAN_CHILD")
	if ready == "" {
		t.Skip("run by TestFleetOrphans")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	f, err := testfleet.Up(ctx, testfleet.Options{N: 1, BastionHost: true, Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ready, []byte(f.Name), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Minute)
}
