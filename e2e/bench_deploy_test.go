//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/zdmctl/zdmctl/internal/testfleet"
)

// BenchmarkDeploy times the real zdmctl binary on a fresh 13-host fleet
// (`make bench-deploy`, -benchtime 1x): the first deploy of
// testdata/e2e/engine/deploy.yaml (25 MB binary, config, unit, handler,
// wait_for) to 3 hosts and to 10 other hosts, two no-op re-runs on the 10
// (the first right after the deploy, the second the steady state the goal
// is about), and a serial: 1 rolling restart of the 3. It prints a table with the
// goals and the Ansible reference figures.
func BenchmarkDeploy(b *testing.B) {
	if b.N > 1 {
		b.Skip("run with -benchtime 1x: every step mutates the fleet")
	}
	f := NewFleet(b, testfleet.Options{N: 13})
	engineFixtures(b)
	names := func(hosts []testfleet.Host) string {
		var s []string
		for _, h := range hosts {
			s = append(s, h.Name)
		}
		return strings.Join(s, ",")
	}
	three, ten := names(f.Hosts[:3]), names(f.Hosts[3:13])

	type step struct {
		name      string
		args      []string
		hosts     int
		goal      time.Duration // 0: none
		ansible   time.Duration // 0: not measured
		wantDelta func(hostRecap) bool
	}
	steps := []step{
		{name: "first deploy, 3 hosts", hosts: 3, args: []string{"-l", three, "playbook", "run", "deploy.yaml"},
			wantDelta: func(h hostRecap) bool { return h.Changed >= 7 }},
		{name: "first deploy, 10 hosts", hosts: 10, goal: 5 * time.Second, ansible: 67 * time.Second,
			args:      []string{"-l", ten, "playbook", "run", "deploy.yaml"},
			wantDelta: func(h hostRecap) bool { return h.Changed >= 7 }},
		// The first re-run hashes the fresh 25 MB binary on every host
		// and records the checksum; later runs find it in the host's
		// checksum cache (see deploy/modules/probe.go).
		{name: "first re-run (no-op), 10 hosts", hosts: 10,
			args:      []string{"-l", ten, "playbook", "run", "deploy.yaml"},
			wantDelta: func(h hostRecap) bool { return h.Changed == 0 }},
		{name: "idempotent re-run, 10 hosts", hosts: 10, goal: time.Second, ansible: 46 * time.Second,
			args:      []string{"-l", ten, "playbook", "run", "deploy.yaml"},
			wantDelta: func(h hostRecap) bool { return h.Changed == 0 }},
		{name: "rolling restart (serial 1), 3 hosts", hosts: 3, ansible: 8500 * time.Millisecond,
			args:      []string{"-l", three, "--set", "roll_id=bench", "playbook", "run", "rolling.yaml"},
			wantDelta: func(h hostRecap) bool { return h.Changed >= 2 }},
	}
	type row struct {
		step
		wall, engine, cpu, fleetCPU time.Duration
	}
	var rows []row
	b.ResetTimer()
	for _, s := range steps {
		cpu0 := fleetCPU(b, f)
		r := runZdmctl(b, append(append(fleetArgs(f, ""), "-o", "json"), s.args...)...)
		hostCPU := fleetCPU(b, f) - cpu0
		if r.Code != 0 {
			b.Fatalf("%s: want exit 0\n%s", s.name, r)
		}
		d := r.doc(b)
		if len(d.Result.Hosts) != s.hosts {
			b.Fatalf("%s: %d hosts ran, want %d\n%s", s.name, len(d.Result.Hosts), s.hosts, r)
		}
		for _, h := range d.Result.Hosts {
			if h.Status != "ok" || !s.wantDelta(h) {
				b.Fatalf("%s: %s: unexpected recap %+v", s.name, h.Host, h)
			}
		}
		rows = append(rows, row{step: s, wall: r.Took, engine: time.Duration(d.Result.Duration * float64(time.Second)), cpu: r.CPU, fleetCPU: hostCPU})
		b.ReportMetric(r.Took.Seconds(), strings.NewReplacer(" ", "_", ",", "", "(", "", ")", "").Replace(s.name)+"_s")
	}
	b.StopTimer()

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(os.Stdout, "BenchmarkDeploy: fleet of %d hosts, %d CPUs, load average %s\n", len(f.Hosts), runtime.NumCPU(), loadAvg())
	fmt.Fprintln(tw, "step\tzdmctl wall\tengine\tzdmctl CPU\thosts' CPU\tgoal\tAnsible\t")
	for _, r := range rows {
		goal, ansible := "-", "-"
		if r.goal > 0 {
			verdict := "met"
			if r.wall >= r.goal {
				verdict = "MISSED"
			}
			goal = fmt.Sprintf("< %s %s", r.goal, verdict)
		}
		if r.ansible > 0 {
			ansible = r.ansible.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.name, r.wall.Round(time.Millisecond), r.engine.Round(time.Millisecond),
			r.cpu.Round(time.Millisecond), r.fleetCPU.Round(time.Millisecond), goal, ansible)
	}
	tw.Flush()
}

// loadAvg is /proc/loadavg's 1, 5 and 15 minute figures: the benchmark
// shares the machine.
func loadAvg() string {
	f := strings.Fields(readFile("/proc/loadavg"))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// fleetCPU is the CPU time every process of fleet f's hosts has used
// (sshd, shells, systemd, the service): the cgroup v2 root's usage_usec.
func fleetCPU(b *testing.B, f *testfleet.Fleet) time.Duration {
	b.Helper()
	for _, line := range strings.Split(readFile(filepath.Join(f.CgroupV2, "cpu.stat")), "\n") {
		if v, ok := strings.CutPrefix(line, "usage_usec "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err == nil {
				return time.Duration(n) * time.Microsecond
			}
		}
	}
	return 0
}
