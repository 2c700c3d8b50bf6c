//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/zdmctl/zdmctl/internal/testfleet"
)

// BenchmarkDeploy times the real zdmctl binary on a fresh 13-host fleet
// (`make bench-deploy`, -benchtime 1x): the first deploy of
// testdata/e2e/engine/deploy.yaml (25 MB binary, config, unit, handler,
// wait_for) to 3 hosts and to 10 other hosts, an idempotent re-run on the
// 10, and a serial: 1 rolling restart of the 3. It prints a table with the
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
		{name: "idempotent re-run, 10 hosts", hosts: 10, goal: time.Second, ansible: 46 * time.Second,
			args:      []string{"-l", ten, "playbook", "run", "deploy.yaml"},
			wantDelta: func(h hostRecap) bool { return h.Changed == 0 }},
		{name: "rolling restart (serial 1), 3 hosts", hosts: 3, ansible: 8500 * time.Millisecond,
			args:      []string{"-l", three, "--set", "roll_id=bench", "playbook", "run", "rolling.yaml"},
			wantDelta: func(h hostRecap) bool { return h.Changed >= 2 }},
	}
	type row struct {
		step
		wall, engine time.Duration
	}
	var rows []row
	b.ResetTimer()
	for _, s := range steps {
		r := runZdmctl(b, append(append(fleetArgs(f, ""), "-o", "json"), s.args...)...)
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
		rows = append(rows, row{step: s, wall: r.Took, engine: time.Duration(d.Result.Duration * float64(time.Second))})
		b.ReportMetric(r.Took.Seconds(), strings.NewReplacer(" ", "_", ",", "", "(", "", ")", "").Replace(s.name)+"_s")
	}
	b.StopTimer()

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "step\tzdmctl wall\tengine\tgoal\tAnsible\t")
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", r.name, r.wall.Round(time.Millisecond), r.engine.Round(time.Millisecond), goal, ansible)
	}
	tw.Flush()
}
