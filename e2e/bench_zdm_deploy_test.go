//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/zdmctl/zdmctl/internal/testfleet"
)

// BenchmarkZDMDeploy times `zdmctl deploy` itself, with its default gates
// (no --healthy-for, --pause or --ready-timeout) and default vars, on 3
// and on 10 fresh hosts of one fleet: the first deploy (the real
// zdm-proxy, Origin and Target in-memory CQL clusters in this process), a
// no-op deploy, a rolling restart and a rolling-update (read_mode, a
// reload). No client is connected, so the gate after a change is: ready,
// then the stability window (rollout.healthy_for, 1s from the process
// start). When ansible-playbook is on PATH and the hosts have python3, the
// Ansible baseline plays of ZDMCTL_ANSIBLE_BASELINE (default
// ../shared/ansible-baseline) run on the same hosts after zdmctl's
// teardown, and the ratios are printed.
// ZDMCTL_BENCH_SIZES=3,10,30 sets the fleet sizes (default 3,10; the
// fleet boots their sum of hosts).
// ZDMCTL_BENCH_KEEP=dir keeps each step's JSON document there.
// ZDMCTL_BENCH_METRICS_ADDRESS sets the proxies' metrics_address (default:
// zdmctl's, 0.0.0.0; localhost keeps the peers from each other's drain
// notices, so a shutdown lingers 1.1 s for their polls).
// Each row names the step's slowest task on one host, so an outlier shows
// where its time went. `make bench-deploy` runs it (-benchtime 1x).
func BenchmarkZDMDeploy(b *testing.B) {
	if b.N > 1 {
		b.Skip("run with -benchtime 1x: every step mutates the fleet")
	}
	sizes := benchSizes(b)
	total := 0
	for _, n := range sizes {
		total += n
	}
	f := NewFleet(b, testfleet.Options{N: total})
	type row struct {
		size    int
		step    string
		took    time.Duration
		changed int
		ansible time.Duration
		slowest string
	}
	var rows []row
	var sets [][]testfleet.Host
	for i, n := 0, 0; i < len(sizes); n, i = n+sizes[i], i+1 {
		sets = append(sets, f.Hosts[n:n+sizes[i]])
	}
	for _, hosts := range sets {
		e := newZDMEnvOn(b, f, hosts)
		e.quiet = true
		if a := os.Getenv("ZDMCTL_BENCH_METRICS_ADDRESS"); a != "" {
			// 0.0.0.0: the peers reach each other's metrics listener, so
			// a draining proxy's notice is acknowledged by every peer
			// and its shutdown does not linger (proxy/shutdown.go).
			e.vars["metrics_address"] = a
			e.writeInventory()
		}
		steps := []benchStep{
			{"first deploy", []string{"deploy", "-o", "json"}, nil},
			{"no-op deploy", []string{"deploy", "-o", "json"}, nil},
			{"rolling restart", []string{"rolling-restart", "-o", "json"}, nil},
			{"rolling-update (read_mode: reload)", []string{"rolling-update", "--read-mode", "DUAL_ASYNC_ON_SECONDARY", "-o", "json"}, nil},
		}
		if len(hosts) >= 10 {
			// A large fleet with spare capacity: the same restart, 10% of
			// the proxies at a time.
			steps = append(steps, benchStep{rollingRestart10, []string{"rolling-restart", "-o", "json"}, map[string]string{"max_unavailable": "10%"}})
		}
		for _, s := range steps {
			if s.rollout != nil {
				// The inventory as the rolling-update saved it, plus
				// the rollout section.
				e.vars["read_mode"] = "DUAL_ASYNC_ON_SECONDARY"
				e.rollout = s.rollout
				e.writeInventory()
			}
			r := e.run(s.args...)
			if r.code != 0 {
				b.Fatalf("%d hosts, %s: exit %d\n%s", len(hosts), s.name, r.code, tail(r.err, 20))
			}
			rows = append(rows, row{size: len(hosts), step: s.name, took: r.took, changed: changedTasks(b, r), slowest: slowestTask(b, r)})
			if dir := os.Getenv("ZDMCTL_BENCH_KEEP"); dir != "" {
				// Each step's JSON document (task timings per host).
				name := fmt.Sprintf("%d-%s.json", len(hosts), strings.NewReplacer(" ", "_", "(", "", ")", "", ":", "").Replace(s.name))
				if err := os.WriteFile(filepath.Join(dir, name), []byte(r.out), 0o644); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(r.took.Seconds(), fmt.Sprintf("%s_%dhosts_s", strings.NewReplacer(" ", "_", "(", "", ")", "", ":", "", "-", "_").Replace(s.name), len(hosts)))
		}
		if r := e.run("teardown", "--yes"); r.code != 0 {
			b.Fatalf("teardown: exit %d\n%s", r.code, tail(r.err, 10))
		}
		// The Ansible baseline on the same hosts, now clean.
		ans := ansibleBaseline(b, f, hosts, e)
		for i := range rows {
			if rows[i].size == len(hosts) {
				rows[i].ansible = ans[rows[i].step]
				if rows[i].step == rollingRestart10 {
					rows[i].ansible = ans["rolling restart"] // Ansible's play restarts one host at a time
				}
			}
		}
	}
	b.StopTimer()
	fmt.Fprintf(os.Stdout, "BenchmarkZDMDeploy: zdmctl deploy with default gates; metrics_address %q; fleet of %d hosts, %d CPUs, load average %s\n", os.Getenv("ZDMCTL_BENCH_METRICS_ADDRESS"), len(f.Hosts), runtime.NumCPU(), loadAvg())
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "hosts\tstep\tzdmctl\tchanged\tAnsible\tratio\tslowest task\t")
	for _, r := range rows {
		ans, ratio := "-", "-"
		if r.ansible > 0 {
			ans = r.ansible.Round(time.Millisecond).String()
			ratio = fmt.Sprintf("%.2fx", r.took.Seconds()/r.ansible.Seconds())
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\t\n", r.size, r.step, r.took.Round(time.Millisecond), r.changed, ans, ratio, r.slowest)
	}
	tw.Flush()
	if ansibleSkipped != "" {
		fmt.Fprintf(os.Stdout, "Ansible baseline not run: %s\n", ansibleSkipped)
	}
}

// benchStep is one timed zdmctl run; rollout, when set, is written as the
// inventory's rollout: section first.
type benchStep struct {
	name    string
	args    []string
	rollout map[string]string
}

// rollingRestart10 is the step that restarts 10% of the proxies at a time.
const rollingRestart10 = "rolling restart (max_unavailable 10%)"

// benchSizes reads ZDMCTL_BENCH_SIZES (default 3,10).
func benchSizes(b *testing.B) []int {
	v := os.Getenv("ZDMCTL_BENCH_SIZES")
	if v == "" {
		return []int{3, 10}
	}
	var out []int
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			b.Fatalf("ZDMCTL_BENCH_SIZES=%q: want fleet sizes such as 3,10,30", v)
		}
		out = append(out, n)
	}
	return out
}

// slowestTask names a run's slowest task on one host, from its JSON
// document: "host/task 1.23s".
func slowestTask(b *testing.B, r cmdResult) string {
	b.Helper()
	var d struct {
		Result struct {
			Plays []struct {
				Batches []struct {
					Tasks []struct {
						Task     string  `json:"task"`
						Host     string  `json:"host"`
						Duration float64 `json:"duration_s"`
					} `json:"tasks"`
				} `json:"batches"`
			} `json:"plays"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(r.out), &d); err != nil {
		b.Fatalf("run JSON: %v", err)
	}
	best, what := -1.0, "-"
	for _, p := range d.Result.Plays {
		for _, bt := range p.Batches {
			for _, t := range bt.Tasks {
				if t.Duration > best {
					best, what = t.Duration, fmt.Sprintf("%s/%s %.2fs", t.Host, t.Task, t.Duration)
				}
			}
		}
	}
	return what
}

// ansibleSkipped says why the Ansible baseline did not run ("" it did).
var ansibleSkipped string

// ansibleBaseline runs the baseline plays (first deploy, again for a no-op,
// rolling restart) on hosts and returns their wall times.
func ansibleBaseline(b *testing.B, f *testfleet.Fleet, hosts []testfleet.Host, e *zdmEnv) map[string]time.Duration {
	b.Helper()
	out := map[string]time.Duration{}
	dir := os.Getenv("ZDMCTL_ANSIBLE_BASELINE")
	if dir == "" {
		dir = "../../shared/ansible-baseline"
	}
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		ansibleSkipped = "ansible-playbook not on PATH"
		return out
	}
	if _, err := os.Stat(filepath.Join(dir, "deploy.yml")); err != nil {
		ansibleSkipped = "no baseline plays at " + dir
		return out
	}
	if debs := os.Getenv("ZDMCTL_ANSIBLE_DEBS"); debs != "" {
		installDebs(b, e, hosts, debs)
	}
	if got := e.exec(hosts[0].Name, "command -v python3 || true"); strings.TrimSpace(got) == "" {
		ansibleSkipped = "the test hosts have no python3 (Ansible modules need it): set ZDMCTL_ANSIBLE_DEBS to a directory of python3-minimal and its dependencies' .deb files"
		return out
	}
	tmp := b.TempDir()
	var inv strings.Builder
	inv.WriteString("[zdm_proxies]\n")
	for _, h := range hosts {
		fmt.Fprintf(&inv, "%s ansible_host=%s ansible_user=%s ansible_ssh_private_key_file=%s\n", h.Name, h.Address, h.User, h.KeyFile)
	}
	os.WriteFile(filepath.Join(tmp, "hosts"), []byte(inv.String()), 0o600)
	cfg := fmt.Sprintf(`[defaults]
forks = 30
gathering = explicit
interpreter_python = /usr/bin/python3
host_key_checking = True
[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=%s
transfer_method = sftp
`, f.KnownHostsFile)
	os.WriteFile(filepath.Join(tmp, "ansible.cfg"), []byte(cfg), 0o600)
	run := func(play string) time.Duration {
		cmd := exec.Command("ansible-playbook", "-i", filepath.Join(tmp, "hosts"), play,
			"-e", "zdm_binary_src="+e.proxy,
			"-e", "zdm_origin_contact_points="+f.BridgeAddress, "-e", "zdm_target_contact_points="+f.BridgeAddress,
			"-e", "zdm_origin_port="+e.vars["origin_port"], "-e", "zdm_target_port="+e.vars["target_port"])
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "ANSIBLE_CONFIG="+filepath.Join(tmp, "ansible.cfg"))
		start := time.Now()
		outb, err := cmd.CombinedOutput()
		took := time.Since(start)
		if err != nil {
			b.Fatalf("ansible-playbook %s: %v\n%s", play, err, tail(string(outb), 30))
		}
		return took
	}
	out["first deploy"] = run("deploy.yml")
	out["no-op deploy"] = run("deploy.yml")
	out["rolling restart"] = run("rolling-restart.yml")
	for _, h := range hosts {
		e.exec(h.Name, "systemctl disable --now zdm-proxy 2>/dev/null; rm -rf /etc/systemd/system/zdm-proxy.service /opt/zdm-proxy /etc/zdm-proxy; systemctl daemon-reload; true")
	}
	return out
}

// changedTasks is the number of changed tasks of a run's JSON.
func changedTasks(b testing.TB, r cmdResult) int {
	b.Helper()
	var d zdmRunDoc
	if err := json.Unmarshal([]byte(r.out), &d); err != nil {
		b.Fatalf("run JSON: %v\n%s", err, r.out)
	}
	n := 0
	for _, h := range d.Result.Hosts {
		n += h.Changed
	}
	return n
}

// installDebs installs the .deb files of dir on each host (python3 for the
// Ansible baseline; the test hosts have no network): copied into the
// host's root, then dpkg -i over SSH.
func installDebs(b *testing.B, e *zdmEnv, hosts []testfleet.Host, dir string) {
	b.Helper()
	debs, _ := filepath.Glob(filepath.Join(dir, "*.deb"))
	if len(debs) == 0 {
		b.Fatalf("ZDMCTL_ANSIBLE_DEBS=%s holds no .deb", dir)
	}
	for _, h := range hosts {
		dst := filepath.Join(h.Dir, "root", "var", "tmp", "zdmctl-debs") // the hosts' /tmp is their own tmpfs
		if err := os.MkdirAll(dst, 0o755); err != nil {
			b.Fatal(err)
		}
		for _, d := range debs {
			data, err := os.ReadFile(d)
			if err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dst, filepath.Base(d)), data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		// Twice: one pass may configure python3-minimal before its
		// interpreter package.
		e.exec(h.Name, "d=/var/tmp/zdmctl-debs; dpkg -i $d/*.deb >$d.log 2>&1 || dpkg -i $d/*.deb >>$d.log 2>&1 || tail -5 $d.log; rm -rf $d")
	}
}
