//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/internal/testfleet"
)

// Fleet fixtures for e2e tests.
//
// SharedFleet(t) returns one fleet for the whole test binary: 3 regular
// hosts (host 2 logs in as `deploy` with passwordless sudo) plus a
// bastion-only host, booted on first use and taken down after the last
// test (TestMain). Tests must not break it for the others: no reboots, no
// network changes; put files under per-test names.
//
// Environment:
//   - ZDMCTL_E2E_FLEET=NAME uses a running fleet (e.g. `make fleet-up`,
//     name "fleet") instead of booting one; it is left running.
//   - ZDMCTL_E2E_FLEET_N=N sets the shared fleet's host count (default 3).

var (
	sharedOnce  sync.Once
	sharedFleet *testfleet.Fleet
	sharedErr   error
)

// requireRoot skips tests that need real hosts when not run as root.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (systemd-nspawn fleet)")
	}
}

// SharedFleet returns the package's shared fleet, booting it on first use.
func SharedFleet(t testing.TB) *testfleet.Fleet {
	t.Helper()
	requireRoot(t)
	sharedOnce.Do(func() {
		if name := os.Getenv("ZDMCTL_E2E_FLEET"); name != "" {
			sharedFleet, sharedErr = testfleet.Load("", name)
			return
		}
		n := 3
		if s := os.Getenv("ZDMCTL_E2E_FLEET_N"); s != "" {
			if n, sharedErr = strconv.Atoi(s); sharedErr != nil {
				return
			}
		}
		// Fleets of test binaries that died (a timeout panic skips every
		// cleanup) would hold bridges and memory: clear them first.
		if err := testfleet.DownOrphans(""); err != nil {
			t.Logf("clearing orphaned fleets: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		sharedFleet, sharedErr = testfleet.Up(ctx, testfleet.Options{
			N: n, SudoUserHost: true, BastionHost: true, Ephemeral: true,
		})
		if sharedErr == nil {
			f := sharedFleet
			atPackageExit(f.Down)
		}
	})
	if sharedErr != nil {
		t.Fatalf("shared fleet: %v", sharedErr)
	}
	return sharedFleet
}

// NewFleet boots a fleet for one test and takes it down when the test
// ends. Prefer SharedFleet unless the test breaks hosts or checks Down.
func NewFleet(t testing.TB, o testfleet.Options) *testfleet.Fleet {
	t.Helper()
	requireRoot(t)
	o.Ephemeral = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	f, err := testfleet.Up(ctx, o)
	if err != nil {
		t.Fatalf("fleet up: %v", err)
	}
	t.Cleanup(func() {
		if err := f.Down(); err != nil {
			t.Errorf("fleet down: %v", err)
		}
	})
	return f
}

// fleetLeftovers lists what of fleet f still exists on this machine:
// containers, mounts, interfaces, the unreachable route, cgroups, files.
func fleetLeftovers(f *testfleet.Fleet) []string {
	var left []string
	if pids := testfleet.NspawnPIDs(f.StateDir); len(pids) > 0 {
		left = append(left, fmt.Sprintf("systemd-nspawn processes %v", pids))
	}
	for _, h := range f.Hosts {
		if h.PID > 0 && processRuns(h.PID) && strings.Contains(readFile("/proc/"+strconv.Itoa(h.PID)+"/cmdline"), "nspawn") {
			left = append(left, fmt.Sprintf("host %s: systemd-nspawn %d", h.Name, h.PID))
		}
	}
	if ms, err := testfleet.MountsUnder(f.StateDir); err != nil {
		left = append(left, "mountinfo: "+err.Error())
	} else if len(ms) > 0 {
		left = append(left, fmt.Sprintf("mounts %v", ms))
	}
	links := []string{f.Bridge, f.InternalBridge}
	for _, h := range f.Hosts {
		links = append(links, h.Veths...)
	}
	for _, l := range links {
		if l != "" && exists(filepath.Join("/sys/class/net", l)) {
			left = append(left, "interface "+l)
		}
	}
	ents, _ := os.ReadDir("/sys/class/net")
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "vb-"+f.Name+"-") {
			left = append(left, "interface "+e.Name())
		}
	}
	if f.UnreachableRoute != "" {
		out, _ := runOut("ip", "route", "show", "type", "unreachable")
		if strings.Contains(out, f.UnreachableRoute) {
			left = append(left, "route unreachable "+f.UnreachableRoute)
		}
	}
	for _, cg := range []string{f.CgroupV1, f.CgroupV2} {
		if cg != "" && exists(cg) {
			left = append(left, "cgroup "+cg)
		}
	}
	if exists(f.StateDir) {
		left = append(left, "state dir "+f.StateDir)
	}
	return left
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

// processRuns: the process exists and is not a zombie.
func processRuns(pid int) bool {
	stat := readFile("/proc/" + strconv.Itoa(pid) + "/stat")
	i := strings.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	return stat[i+2] != 'Z'
}
