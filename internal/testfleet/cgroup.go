package testfleet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Trap 1: with --keep-unit and no systemd on this machine, every container
// lands in its launcher's cgroup and their systemds fight over the same unit
// directories. Each host therefore gets its own cgroup in the name=systemd
// v1 hierarchy and in the v2 one, and its launcher moves itself there before
// exec'ing systemd-nspawn.

// cgroupRoots returns the name=systemd v1 and the v2 mount points that
// exist here ("" for a missing one).
func cgroupRoots() (v1, v2 string) {
	ms, _ := mounts()
	for _, m := range ms {
		switch {
		case m.fstype == "cgroup" && strings.Contains(","+m.super+",", ",name=systemd,"):
			if v1 == "" {
				v1 = m.target
			}
		case m.fstype == "cgroup2":
			if v2 == "" {
				v2 = m.target
			}
		}
	}
	return v1, v2
}

// fleetCgroups returns the fleet's cgroup directories (either may be "").
func fleetCgroups(name string) (v1, v2 string) {
	r1, r2 := cgroupRoots()
	if r1 != "" {
		v1 = filepath.Join(r1, "zdmctl-testfleet", name)
	}
	if r2 != "" {
		v2 = filepath.Join(r2, "zdmctl-testfleet", name)
	}
	return v1, v2
}

func hostCgroup(fleetCg, host string) string {
	if fleetCg == "" {
		return ""
	}
	return filepath.Join(fleetCg, host)
}

// cgroupPIDs lists the processes in a cgroup and all its descendants.
func cgroupPIDs(dir string) []int {
	var out []int
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		if err != nil {
			return nil
		}
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil {
				out = append(out, pid)
			}
		}
		return nil
	})
	return out
}

// removeCgroupTree removes a cgroup and its descendants, deepest first,
// retrying while they still hold exiting processes.
func removeCgroupTree(dir string, timeout time.Duration) error {
	if dir == "" {
		return nil
	}
	deadline := time.Now().Add(timeout)
	for {
		var dirs []string
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		if len(dirs) == 0 {
			return nil
		}
		sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
		var last error
		for _, d := range dirs {
			if err := syscall.Rmdir(d); err != nil && !errors.Is(err, syscall.ENOENT) {
				last = err
			}
		}
		if last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("remove cgroup %s: %w (processes: %v)", dir, last, cgroupPIDs(dir))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
