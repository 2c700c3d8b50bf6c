package testfleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Down stops every container of the fleet and removes every mount,
// interface, route, cgroup and file Up made. It works from the recorded
// state plus a sweep by name and path, so it also cleans up after a crash,
// and running it twice is harmless.
func (f *Fleet) Down() error {
	start := time.Now()
	var errs []error
	stateRoot := filepath.Dir(f.StateDir)

	stopContainers(f)

	// Mounts: every host's root, then anything else still under the dir.
	for _, h := range f.Hosts {
		if err := unmount(h.Root); err != nil {
			errs = append(errs, err)
		}
	}
	if ms, err := MountsUnder(f.StateDir); err == nil {
		slices.SortFunc(ms, func(a, b string) int { return len(b) - len(a) })
		for _, m := range ms {
			if err := unmount(m); err != nil {
				errs = append(errs, err)
			}
		}
	}

	cg1, cg2 := f.CgroupV1, f.CgroupV2
	if cg1 == "" && cg2 == "" {
		cg1, cg2 = fleetCgroups(f.Name)
	}
	for _, cg := range []string{cg1, cg2} {
		if err := removeCgroupTree(cg, 10*time.Second); err != nil {
			errs = append(errs, err)
		}
		if cg != "" {
			_ = syscall.Rmdir(filepath.Dir(cg)) // the shared parent, once empty
		}
	}

	lock, err := lockFile(context.Background(), filepath.Join(stateRoot, ".lock"))
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	defer lock.unlock()
	errs = append(errs, removeNetwork(f)...)
	if err := removeUnmounted(f.StateDir); err != nil {
		errs = append(errs, err)
	}
	if err := restoreInotify(stateRoot); err != nil {
		errs = append(errs, err)
	}
	slog.Info("fleet down", "fleet", f.Name, "took", time.Since(start).Round(time.Millisecond))
	if len(errs) > 0 {
		return fmt.Errorf("fleet %s down: %w", f.Name, errors.Join(errs...))
	}
	return nil
}

// Down takes down the named fleet under stateRoot (empty: the default).
// A fleet with no state left is not an error.
func Down(stateRoot, name string) error {
	if stateRoot == "" {
		stateRoot = DefaultStateRoot
	}
	if !fleetNameRE.MatchString(name) {
		return fmt.Errorf("fleet name %q: invalid", name)
	}
	f, err := Load(stateRoot, name)
	if errors.Is(err, ErrNoFleet) {
		dir := filepath.Join(stateRoot, name)
		if _, serr := os.Stat(dir); serr != nil {
			return nil // nothing at all
		}
		// Crashed before its state was written: sweep by path and name.
		f, err = &Fleet{Name: name, StateDir: dir}, nil
	}
	if err != nil {
		return err
	}
	return f.Down()
}

// DownAll takes down every fleet under stateRoot.
func DownAll(stateRoot string) error {
	names, err := List(stateRoot)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		if err := Down(stateRoot, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// stopContainers asks each systemd-nspawn to power its container off
// (SIGTERM), waits, and kills whatever is left in the hosts' cgroups.
func stopContainers(f *Fleet) {
	pids := map[int]uint64{}
	for _, h := range f.Hosts {
		if alive(h.PID, h.StartTime) && isNspawn(h.PID) {
			pids[h.PID] = h.StartTime
		}
	}
	for _, pid := range NspawnPIDs(f.StateDir) {
		if _, ok := pids[pid]; !ok {
			_, st, _ := procStat(pid)
			pids[pid] = st
		}
	}
	for pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	defer func() {
		for pid := range pids {
			reap(pid)
		}
	}()
	cg1, cg2 := f.CgroupV1, f.CgroupV2
	if cg1 == "" && cg2 == "" {
		cg1, cg2 = fleetCgroups(f.Name)
	}
	// A container still starting its systemd loses the request (its init
	// has no handler yet), so it is repeated a few times.
	gone := false
	for range 6 {
		if gone = waitGone(pids, 3*time.Second); gone {
			break
		}
		for pid, st := range pids {
			if alive(pid, st) {
				_ = syscall.Kill(pid, syscall.SIGTERM)
			}
		}
	}
	if !gone {
		slog.Warn("containers did not power off in time; killing them", "fleet", f.Name)
	}
	// Whatever is left in the hosts' cgroups now (a container whose
	// systemd-nspawn was killed, a hung shutdown) gets SIGKILL: killing a
	// container's init ends its whole PID namespace.
	for range 100 {
		left := append(cgroupPIDs(cg1), cgroupPIDs(cg2)...)
		for pid, st := range pids {
			if alive(pid, st) {
				left = append(left, pid)
			}
		}
		if len(left) == 0 {
			return
		}
		for _, pid := range left {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
	slog.Warn("processes survive SIGKILL", "fleet", f.Name, "pids", append(cgroupPIDs(cg1), cgroupPIDs(cg2)...))
}

func isNspawn(pid int) bool {
	args := cmdline(pid)
	return len(args) > 0 && filepath.Base(args[0]) == "systemd-nspawn"
}

// waitGone waits until none of pids runs; false on timeout.
func waitGone(pids map[int]uint64, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		left := 0
		for pid, st := range pids {
			if alive(pid, st) {
				left++
			}
		}
		if left == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// unmount unmounts dir if it is a mount point, lazily as a last resort.
func unmount(dir string) error {
	for i := 0; ; i++ {
		err := syscall.Unmount(dir, 0)
		switch {
		case err == nil:
			continue // stacked mounts: go again until none is left
		case errors.Is(err, syscall.EINVAL), errors.Is(err, syscall.ENOENT):
			return nil // not (or no longer) a mount point
		case errors.Is(err, syscall.EBUSY) && i < 50:
			time.Sleep(100 * time.Millisecond)
		case errors.Is(err, syscall.EBUSY):
			if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
				return fmt.Errorf("unmount %s: %w", dir, err)
			}
			slog.Warn("mount was busy; detached it", "dir", dir)
			return nil
		default:
			return fmt.Errorf("unmount %s: %w", dir, err)
		}
	}
}

// removeNetwork deletes the fleet's interfaces, bridges and route. Called
// with the state-root lock held.
func removeNetwork(f *Fleet) []error {
	var errs []error
	var links []string
	for _, h := range f.Hosts {
		links = append(links, h.Veths...)
	}
	for _, br := range []string{f.Bridge, f.InternalBridge} {
		if br != "" {
			links = append(links, bridgePorts(br)...)
		}
	}
	links = append(links, f.InternalBridge, f.Bridge)
	for _, l := range links {
		if err := deleteLink(l); err != nil {
			errs = append(errs, err)
		}
	}
	if f.UnreachableRoute != "" {
		if err := ip("route", "del", "unreachable", f.UnreachableRoute); err != nil &&
			!strings.Contains(err.Error(), "No such process") {
			errs = append(errs, err)
		}
	}
	return errs
}
