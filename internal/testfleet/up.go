package testfleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Up boots a fleet and returns once every host answers SSH. On error it
// tears down whatever it made.
func Up(ctx context.Context, o Options) (*Fleet, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("testfleet needs root (containers, mounts, bridges)")
	}
	becomeSubreaper()
	start := time.Now()
	if err := EnsureBase(ctx, o.CacheDir, o.Mirror); err != nil {
		return nil, fmt.Errorf("base rootfs: %w", err)
	}
	if o.Name != "" {
		if err := clearStale(o.StateRoot, o.Name); err != nil {
			return nil, err
		}
	}
	f, err := claim(ctx, &o)
	if err != nil {
		return nil, err
	}
	if err := boot(ctx, f, o); err != nil {
		if derr := f.Down(); derr != nil {
			err = errors.Join(err, fmt.Errorf("tear down after failed up: %w", derr))
		}
		return nil, fmt.Errorf("fleet %s up: %w", f.Name, err)
	}
	slog.Info("fleet up", "fleet", f.Name, "hosts", len(f.Hosts), "took", time.Since(start).Round(time.Millisecond))
	return f, nil
}

// clearStale removes what a crashed run of fleet name left behind, and
// refuses when that fleet still runs.
func clearStale(stateRoot, name string) error {
	dir := filepath.Join(stateRoot, name)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if len(NspawnPIDs(dir)) > 0 {
		return fmt.Errorf("fleet %q is already up (state in %s); take it down first", name, dir)
	}
	slog.Info("clearing leftovers of an earlier run", "fleet", name)
	return Down(stateRoot, name)
}

// claim picks the name and network, records them, and makes the bridges.
// It holds the state-root lock, so two Ups never pick the same ones.
func claim(ctx context.Context, o *Options) (*Fleet, error) {
	lock, err := lockFile(ctx, filepath.Join(o.StateRoot, ".lock"))
	if err != nil {
		return nil, err
	}
	defer lock.unlock()
	dir, err := claimName(o)
	if err != nil {
		return nil, err
	}
	f := &Fleet{Name: o.Name, StateDir: dir, Group: o.Group}
	if o.Ephemeral {
		f.markOwner()
	}
	f.CgroupV1, f.CgroupV2 = fleetCgroups(o.Name)
	fail := func(err error) (*Fleet, error) {
		lock.unlock() // Down takes it
		if derr := f.Down(); derr != nil {
			err = errors.Join(err, derr)
		}
		return nil, err
	}
	// Record the fleet before making anything, so Down finds it all.
	if err := f.save(); err != nil {
		return fail(err)
	}
	if o.Bridge == "" {
		err = pickNetwork(o, o.Name)
	} else {
		err = networkFree(o.StateRoot, o.Name, o.Bridge, o.Subnet, o.InternalSubnet)
	}
	if err != nil {
		return fail(err)
	}
	f.Bridge, f.Subnet = o.Bridge, o.Subnet
	f.BridgeAddress = addrIn(o.Subnet, 1)
	if o.BastionHost {
		f.InternalBridge, f.InternalSubnet = internalBridge(o.Bridge), o.InternalSubnet
	}
	planHosts(f, *o)
	if err := f.save(); err != nil {
		return fail(err)
	}
	if err := createBridge(f.Bridge, f.BridgeAddress+"/24"); err != nil {
		return fail(err)
	}
	if f.InternalBridge != "" {
		if err := createBridge(f.InternalBridge, ""); err != nil {
			return fail(err)
		}
		f.UnreachableRoute = f.InternalSubnet
		if err := f.save(); err != nil { // recorded first: a crash must not leak it
			return fail(err)
		}
		if err := ip("route", "replace", "unreachable", f.InternalSubnet); err != nil {
			return fail(err)
		}
	}
	raised, err := raiseInotify(o.StateRoot, len(f.Hosts))
	f.InotifyRaised = raised
	if err != nil {
		return fail(err)
	}
	if err := f.save(); err != nil {
		return fail(err)
	}
	return f, nil
}

// planHosts fills f.Hosts and the fleet's file paths.
func planHosts(f *Fleet, o Options) {
	f.KeyFile = filepath.Join(f.StateDir, "id_ed25519")
	f.KnownHostsFile = filepath.Join(f.StateDir, "known_hosts")
	f.SSHConfigFile = filepath.Join(f.StateDir, "ssh_config")
	f.InventoryFile = filepath.Join(f.StateDir, "inventory.yaml")
	sudoIdx := 0
	if o.SudoUserHost {
		sudoIdx = min(2, o.N)
	}
	mk := func(name, addr string) Host {
		dir := filepath.Join(f.StateDir, "hosts", name)
		return Host{
			Name: name, Address: addr, User: "root", KeyFile: f.KeyFile,
			Dir: dir, Root: filepath.Join(dir, "root"), Log: filepath.Join(dir, "nspawn.log"),
			Veths: []string{"vb-" + name},
		}
	}
	for i := 1; i <= o.N; i++ {
		h := mk(f.Name+"-"+strconv.Itoa(i), addrIn(o.Subnet, hostOffset+i))
		if i == sudoIdx {
			h.User, h.Become = SudoUser, true
		}
		if i == 1 && o.BastionHost {
			h.Veths = append(h.Veths, bastionVeth(f.Bridge))
		}
		f.Hosts = append(f.Hosts, h)
	}
	if o.BastionHost {
		h := mk(f.Name+"-priv", addrIn(o.InternalSubnet, hostOffset+1))
		h.Bastion = f.Hosts[0].Name
		f.Hosts = append(f.Hosts, h)
	}
}

// boot prepares every host's overlay, starts the containers and waits for
// their SSH servers.
func boot(ctx context.Context, f *Fleet, o Options) error {
	t0 := time.Now()
	userKey, err := newKeyPair("zdmctl-testfleet-" + f.Name)
	if err != nil {
		return err
	}
	var etcHosts strings.Builder
	for _, h := range f.Hosts {
		fmt.Fprintf(&etcHosts, "%s\t%s\n", h.Address, h.Name)
	}
	hostKeys := map[string]keyPair{}
	for i := range f.Hosts {
		h := &f.Hosts[i]
		hk, err := newKeyPair("root@" + h.Name)
		if err != nil {
			return err
		}
		hostKeys[h.Name] = hk
		h.HostKey = strings.TrimSpace(hk.authorized)
		s := hostSetup{host: *h, prefixLen: 24, hostKey: hk, userKey: userKey, etcHosts: etcHosts.String()}
		if h.Bastion == "" {
			s.gateway = f.BridgeAddress
		} else {
			s.gateway = addrIn(f.InternalSubnet, 1)
		}
		if i == 0 && f.InternalBridge != "" {
			s.extraIf, s.extraAddr = bastionInnerIf, addrIn(f.InternalSubnet, 1)+"/24"
		}
		if err := mountOverlay(o.CacheDir, *h); err != nil {
			return err
		}
		if err := writeHostFiles(h.Root, s); err != nil {
			return fmt.Errorf("host %s: %w", h.Name, err)
		}
	}
	if err := writeSSHFiles(f, userKey, hostKeys); err != nil {
		return err
	}
	if err := f.WriteInventory(f.InventoryFile); err != nil {
		return err
	}
	if err := f.save(); err != nil {
		return err
	}
	slog.Debug("overlays ready", "fleet", f.Name, "took", time.Since(t0).Round(time.Millisecond))

	t1 := time.Now()
	for i := range f.Hosts {
		h := &f.Hosts[i]
		bridge, extra := f.Bridge, ""
		if h.Bastion != "" {
			bridge = f.InternalBridge
		} else if i == 0 && f.InternalBridge != "" {
			extra = bastionVeth(f.Bridge)
		}
		pid, st, err := launch(ctx, *h, nspawnArgs(*h, bridge, extra), hostCgroup(f.CgroupV1, h.Name), hostCgroup(f.CgroupV2, h.Name))
		if err != nil {
			return err
		}
		h.PID, h.StartTime = pid, st
		if err := f.save(); err != nil {
			return err
		}
	}
	slog.Debug("containers started", "fleet", f.Name, "took", time.Since(t1).Round(time.Millisecond))

	wctx, cancel := context.WithTimeout(ctx, o.BootTimeout)
	defer cancel()
	if err := waitSSH(wctx, f); err != nil {
		return err
	}
	slog.Debug("every host answers ssh", "fleet", f.Name, "took", time.Since(t1).Round(time.Millisecond))
	return nil
}

// mountOverlay mounts h's root: the base below, h's upper dir above.
func mountOverlay(base string, h Host) error {
	upper, work := filepath.Join(h.Dir, "upper"), filepath.Join(h.Dir, "work")
	for _, d := range []string{upper, work, h.Root} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("host %s: %w", h.Name, err)
		}
	}
	for _, p := range []string{base, upper, work} {
		if strings.ContainsAny(p, ",:") {
			return fmt.Errorf("host %s: overlay path %q may not hold ',' or ':'", h.Name, p)
		}
	}
	opts := "lowerdir=" + base + ",upperdir=" + upper + ",workdir=" + work
	if err := syscall.Mount("overlay", h.Root, "overlay", 0, opts); err != nil {
		return fmt.Errorf("host %s: mount overlay on %s (%s): %w", h.Name, h.Root, opts, err)
	}
	return nil
}
