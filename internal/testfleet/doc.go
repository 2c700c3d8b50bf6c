// Package testfleet boots a fleet of real Linux hosts on this machine for
// end-to-end tests: systemd-nspawn containers running systemd and OpenSSH,
// each on an overlayfs over one cached Debian bookworm rootfs, attached to a
// Linux bridge in the root network namespace. Everything here needs root.
//
// A fleet has N regular hosts <name>-1 .. <name>-N at <subnet>.11 ..
// (root login by key; with SudoUserHost, host 2 instead has only the user
// `deploy` with passwordless sudo) and, with BastionHost, one more host
// <name>-priv on a second bridge that this machine cannot reach; host 1 can,
// and the ssh config file routes to it with ProxyJump.
//
// Up writes into the fleet's state directory (/run/zdmctl-testfleet/<name>):
// an ed25519 key pair (KeyFile), known_hosts with every host's own host key
// (KnownHostsFile), an OpenSSH client config (SSHConfigFile: `ssh -F FILE
// HOST` works for every host) and a zdmctl inventory (InventoryFile). Down
// removes containers, mounts, interfaces, routes, cgroups and files, from
// the recorded state plus a sweep by path, so it also cleans up after a
// crash; running it twice is harmless.
//
// In tests:
//
//	f, err := testfleet.Up(ctx, testfleet.Options{N: 3, SudoUserHost: true, BastionHost: true, Ephemeral: true})
//	defer f.Down()
//	out, err := f.Exec(ctx, f.Hosts[0].Name, "systemctl is-system-running")
//	cmd := f.SSHCommand(ctx, "<name>-priv", "hostname") // OpenSSH, via ProxyJump
//
// Package e2e has SharedFleet(t), one fleet for the whole test binary.
// By hand: `make fleet-up N=3`, `make fleet-down` (scripts/fleet.sh).
//
// The base rootfs is built once (debootstrap, about a minute) into
// /var/cache/zdmctl-testfleet and reused; see EnsureBase. The machine's
// traps (no systemd as PID 1, cgroups, DNS, inotify limits, inherited
// descriptors, an init that does not reap) are handled where they bite:
// cgroup.go, basefiles.go, sysctl.go, launch.go, reap.go.
package testfleet
