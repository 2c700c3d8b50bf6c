//go:build e2e

package e2e

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// TestZDM drives the operator commands on the shared fleet, in order:
// bad inputs and preflight change nothing; deploy from nothing, then again
// with 0 changed; status; rolling-updates by reload, by restart and to a
// second proxy build (new version, old binary kept); a host
// failing mid-rollout is rolled back and --resume finishes; drift after a
// hand edit; the fleet lock; logs; teardown leaves nothing behind.
func TestZDM(t *testing.T) {
	f := SharedFleet(t)
	e := newZDMEnv(t, f)
	gate := []string{"--healthy-for", "1s", "--pause", "0s", "--ready-timeout", "30s"}
	h1, h2, h3 := e.hosts[0].Name, e.hosts[1].Name, e.hosts[2].Name
	// Whatever happens, leave the shared fleet clean.
	t.Cleanup(func() { e.cleanupRun("teardown", "--yes", "--force", "--reason", "e2e cleanup") })

	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}

	step("BadInputs", func(t *testing.T) {
		before, _ := os.ReadFile(e.inv)
		// Missing origin_contact_points.
		saved := e.vars["origin_contact_points"]
		delete(e.vars, "origin_contact_points")
		e.writeInventory()
		r := e.run("deploy")
		e.vars["origin_contact_points"] = saved
		e.writeInventory()
		if r.code != 2 || !strings.Contains(r.err, "origin_contact_points is required") || strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
			t.Fatalf("missing origin_contact_points: exit %d, stderr %q", r.code, r.err)
		}
		r = e.run("rolling-update", "--read-mode", "DUAL_ASYNC")
		if r.code != 2 || !strings.Contains(r.err, "read_mode") || !strings.Contains(r.err, "DUAL_ASYNC_ON_SECONDARY") {
			t.Fatalf("read_mode typo: exit %d, stderr %q", r.code, r.err)
		}
		r = e.run("deploy", "--limit", "no-such-host")
		if r.code != 2 || !strings.Contains(r.err, "no-such-host") {
			t.Fatalf("unknown --limit host: exit %d, stderr %q", r.code, r.err)
		}
		// A misspelt setting in the file: its line, and the name meant.
		e.vars["proxy_listen_prot"] = "9043"
		e.writeInventory()
		r = e.run("deploy")
		delete(e.vars, "proxy_listen_prot")
		e.writeInventory()
		if want := regexp.MustCompile(regexp.QuoteMeta(e.inv) + `:[0-9]+: vars\.proxy_listen_prot: unknown var; did you mean proxy_listen_port\?`); r.code != 2 || !want.MatchString(r.err) {
			t.Fatalf("misspelt var: exit %d, stderr %q", r.code, r.err)
		}
		after, _ := os.ReadFile(e.inv)
		if string(before) != string(after) {
			t.Fatal("a bad input changed the inventory file")
		}
		if _, err := os.Stat(zdm.JournalPath(e.inv)); err == nil {
			t.Fatal("a bad input left a journal")
		}
		for _, h := range e.hosts {
			if out := e.exec(h.Name, "ls -d /opt/zdm-proxy /etc/zdm-proxy 2>/dev/null; true"); strings.TrimSpace(out) != "" {
				t.Fatalf("%s: a bad input created %s", h.Name, out)
			}
		}
		// A rolling-update before any deploy stops at the first host.
		r = e.run("rolling-update", "--no-save", "--log-level", "DEBUG")
		if r.code != 1 || !strings.Contains(r.err, "not deployed on this host: run zdmctl deploy first") {
			t.Fatalf("rolling-update before deploy: exit %d, stderr %q", r.code, tail(r.err, 3))
		}
		os.Remove(zdm.JournalPath(e.inv))
	})

	step("HostKeysExit4", func(t *testing.T) {
		// Unknown: an empty known_hosts (the later --known-hosts wins).
		empty := filepath.Join(t.TempDir(), "empty_known_hosts")
		os.WriteFile(empty, nil, 0o600)
		for _, cmd := range [][]string{{"deploy"}, {"status"}} {
			r := e.run(append(cmd, "--known-hosts", empty)...)
			all := r.out + r.err
			if r.code != 4 || !strings.Contains(all, "is not known") || !strings.Contains(all, "--accept-new-host-keys") || !strings.Contains(all, "--known-hosts") {
				t.Fatalf("%s with an unknown host key: exit %d, output:\n%s", cmd[0], r.code, tail(all, 8))
			}
			// Status cannot know the drift of a host it cannot reach.
			if cmd[0] == "status" && (strings.Contains(all, "no drift") || !strings.Contains(all, "drift unknown on "+h1)) {
				t.Fatalf("status of unreachable hosts claims to know drift:\n%s", r.out)
			}
		}
		// Changed: h1's address recorded with h2's key, in a file of its own.
		changed := filepath.Join(t.TempDir(), "changed_known_hosts")
		os.WriteFile(changed, []byte(e.hosts[0].Address+" "+strings.TrimSpace(e.hosts[1].HostKey)+"\n"), 0o600)
		r := e.run("deploy", "--known-hosts", changed, "--accept-new-host-keys")
		if want := "ssh-keygen -R '" + e.hosts[0].Address + "' -f '" + changed + "'"; r.code != 4 || !strings.Contains(r.err, "HOST KEY CHANGED") || !strings.Contains(r.err, want) {
			t.Fatalf("changed host key: exit %d, want %q in stderr:\n%s", r.code, want, tail(r.err, 5))
		}
	})

	step("PreflightUnreachableContactPoint", func(t *testing.T) {
		e.vars["target_port"], e.vars["_saved_target_port"] = itoa(e.closed), e.vars["target_port"]
		e.writeInventory()
		r := e.run(append([]string{"deploy"}, gate...)...)
		e.vars["target_port"] = e.vars["_saved_target_port"]
		delete(e.vars, "_saved_target_port")
		e.writeInventory()
		if r.code != 1 || !strings.Contains(r.err, "preflight failed, nothing was changed: "+h1+", "+h2+", "+h3+": contact points reachable: cannot open TCP from this host to: target contact point "+f.BridgeAddress+":"+itoa(e.closed)) {
			t.Fatalf("preflight: exit %d, stderr:\n%s", r.code, r.err)
		}
		for _, h := range e.hosts {
			if out := e.exec(h.Name, "ls -d /opt/zdm-proxy 2>/dev/null; id zdm 2>/dev/null; true"); strings.TrimSpace(out) != "" {
				t.Fatalf("%s: failed preflight installed %s", h.Name, out)
			}
		}
	})

	step("DeployFromNothing", func(t *testing.T) {
		// Default gates: no proxy runs yet, so every host at once.
		r := e.run("deploy")
		if r.code != 0 {
			t.Fatalf("deploy: exit %d\n%s", r.code, r.err)
		}
		if !strings.Contains(r.err, "first deploy: no proxy of the fleet runs yet") {
			t.Errorf("first deploy not in parallel:\n%s", tail(r.err, 20))
		}
		for _, h := range e.hosts {
			out := e.exec(h.Name, "stat -c '%a %U' /etc/zdm-proxy/zdm-proxy.yaml; readlink /opt/zdm-proxy/current; systemctl is-active zdm-proxy; systemctl show -p User,NoNewPrivileges,ProtectSystem,LimitNOFILE zdm-proxy; ps -eo args | grep -c s3cret || true")
			for _, want := range []string{"600 zdm", "/opt/zdm-proxy/zdm-proxy-", "active", "User=zdm", "NoNewPrivileges=yes", "ProtectSystem=strict", "LimitNOFILE=65536"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s: want %q in:\n%s", h.Name, want, out)
				}
			}
			if cfg := e.exec(h.Name, "cat /etc/zdm-proxy/zdm-proxy.yaml"); !strings.Contains(cfg, `origin_password: "origin-s3cret"`) || !strings.Contains(cfg, "proxy_topology_index: "+itoa(indexOf(e, h.Name))) {
				t.Errorf("%s: config:\n%s", h.Name, cfg)
			}
		}
		if strings.Contains(r.out+r.err, "s3cret") {
			t.Error("a password appeared in zdmctl's output")
		}
	})

	step("DeployAgainChangesNothing", func(t *testing.T) {
		pids := map[string]string{}
		for _, h := range e.hosts {
			pids[h.Name] = e.mainPID(h.Name)
		}
		// Default gates: a host where nothing changed is not restarted,
		// reloaded, paused or waited on.
		r := e.run("deploy", "-o", "json")
		if r.code != 0 {
			t.Fatalf("deploy: exit %d\n%s", r.code, r.err)
		}
		if n := changedCount(t, r); n != 0 {
			t.Fatalf("second deploy changed %d tasks:\n%s", n, r.out)
		}
		t.Logf("no-op deploy of %d hosts with default gates took %s", len(e.hosts), r.took)
		st := taskStatuses(t, r.out, gateTasks)
		if !strings.Contains(r.err, "unchanged and ready, not touched: "+h1+", "+h2+", "+h3) {
			t.Errorf("no-op hosts not left alone:\n%s", tail(r.err, 10))
		}
		for _, h := range e.hosts {
			for task := range gateTasks {
				if s := st[h.Name][task]; s != "skipped" && s != "" {
					t.Errorf("%s: task %q is %q on a no-op, want skipped or not run", h.Name, task, s)
				}
			}
			if pid := e.mainPID(h.Name); pid != pids[h.Name] {
				t.Errorf("%s: restarted by a no-op deploy (pid %s → %s)", h.Name, pids[h.Name], pid)
			}
		}
		if strings.Contains(r.err, "found down") {
			t.Errorf("a ready fleet reported down:\n%s", r.err)
		}
	})

	step("DeployFindsStoppedProxy", func(t *testing.T) {
		e.exec(h2, "systemctl stop zdm-proxy")
		r := e.run("deploy")
		if r.code != 0 {
			t.Fatalf("deploy: exit %d\n%s", r.code, r.err)
		}
		want := "WARNING: found down before the rollout: " + h2 + " (service inactive)"
		if !strings.Contains(r.err, want) || !strings.Contains(r.out, want) {
			t.Fatalf("want %q in progress and recap; stderr:\n%s\nstdout:\n%s", want, tail(r.err, 10), r.out)
		}
		if strings.Contains(r.err, "first deploy") {
			t.Error("a fleet with running proxies was deployed in parallel")
		}
		if out := e.exec(h2, "systemctl is-active zdm-proxy"); strings.TrimSpace(out) != "active" {
			t.Fatalf("%s: %s after deploy", h2, out)
		}
	})

	step("StatusReady", func(t *testing.T) {
		start := time.Now()
		d, r := e.status()
		// Probes run in parallel: one SSH exec per host, no retries when
		// all is well. Logged, not asserted (no timed assertions).
		t.Logf("zdmctl status on %d hosts took %s", len(e.hosts), time.Since(start).Round(time.Millisecond))
		if r.code != 0 || !d.OK || len(d.Proxies) != 3 || !strings.HasPrefix(d.Summary, "3/3 ready") || !strings.Contains(d.Summary, "no drift") {
			t.Fatalf("status: exit %d\n%s", r.code, r.out)
		}
		for _, p := range d.Proxies {
			if !p.Ready || p.Drift || p.Running != p.Want {
				t.Errorf("%s: %+v", p.Host, p)
			}
		}
		if d.Phase.Number != 1 {
			t.Errorf("phase %d, want 1", d.Phase.Number)
		}
		if r := e.run("phase"); r.code != 0 || !strings.Contains(r.out, "phase 1") || !strings.Contains(r.out, "--read-mode DUAL_ASYNC_ON_SECONDARY") {
			t.Errorf("phase: exit %d\n%s", r.code, r.out)
		}
	})

	step("RollingUpdateReadModeReloads", func(t *testing.T) {
		pids := map[string]string{}
		for _, h := range e.hosts {
			pids[h.Name] = e.mainPID(h.Name)
		}
		if r := e.run("rolling-update", "--read-mode", "DUAL_ASYNC_ON_SECONDARY", "--check", "--diff"); r.code != 0 || !strings.Contains(r.out, "DUAL_ASYNC_ON_SECONDARY") {
			t.Fatalf("--check --diff: exit %d\n%s", r.code, r.out)
		}
		if d, _ := e.status(); d.Proxies[0].ReadMode == "DUAL_ASYNC_ON_SECONDARY" {
			t.Fatal("--check changed the fleet")
		}
		r := e.run(append([]string{"rolling-update", "--read-mode", "DUAL_ASYNC_ON_SECONDARY"}, gate...)...)
		if r.code != 0 {
			t.Fatalf("rolling-update: exit %d\n%s", r.code, r.err)
		}
		inv, _ := os.ReadFile(e.inv)
		if !strings.Contains(string(inv), "DUAL_ASYNC_ON_SECONDARY") {
			t.Errorf("inventory not updated:\n%s", inv)
		}
		e.vars["read_mode"] = "DUAL_ASYNC_ON_SECONDARY"
		for _, h := range e.hosts {
			if pid := e.mainPID(h.Name); pid != pids[h.Name] {
				t.Errorf("%s: restarted (pid %s → %s), want a reload", h.Name, pids[h.Name], pid)
			}
		}
		d, r := e.status()
		if r.code != 0 || d.Phase.Number != 3 || !strings.Contains(d.Summary, "read_mode DUAL_ASYNC_ON_SECONDARY") {
			t.Fatalf("status after: exit %d\n%s", r.code, r.out)
		}
	})

	step("RollingUpdatePrimaryCluster", func(t *testing.T) {
		r := e.run(append([]string{"rolling-update", "--primary-cluster", "TARGET"}, gate...)...)
		if r.code != 0 {
			t.Fatalf("rolling-update: exit %d\n%s", r.code, r.err)
		}
		e.vars["primary_cluster"] = "TARGET"
		d, _ := e.status()
		if d.Phase.Number != 4 || !d.OK {
			t.Fatalf("status: %+v", d)
		}
	})

	step("RollingUpdateRestart", func(t *testing.T) {
		pids := map[string]string{}
		for _, h := range e.hosts {
			pids[h.Name] = e.mainPID(h.Name)
		}
		r := e.run(append([]string{"rolling-update", "--set", "proxy_max_stream_ids=1024"}, gate...)...)
		if r.code != 0 {
			t.Fatalf("rolling-update: exit %d\n%s", r.code, r.err)
		}
		e.vars["proxy_max_stream_ids"] = "1024"
		for _, h := range e.hosts {
			if pid := e.mainPID(h.Name); pid == pids[h.Name] {
				t.Errorf("%s: not restarted for a non-reloadable key", h.Name)
			}
		}
		if d, r := e.status(); r.code != 0 {
			t.Fatalf("status: %s", d.Summary)
		}
	})

	step("RollingUpdateNewBinary", func(t *testing.T) {
		// A second build of the same proxy with another version string:
		// a different sha256, so a new versioned file on every host.
		bin, version := filepath.Join(e.dir, "zdm-proxy-v2"), "fake-v2"
		build := []string{"build", "-ldflags", "-X main.version=" + version, "-o", bin, "./e2e/testdata/fakeproxy"}
		if zdmRealProxy {
			version = "e2e-v2"
			build = []string{"build", "-ldflags", "-X github.com/zdmctl/zdmctl/internal/version.Version=" + version, "-o", bin, "./cmd/zdm-proxy"}
		}
		cmd := exec.Command("go", build...)
		cmd.Dir = repoRoot()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, out)
		}
		before := strings.TrimSpace(e.exec(h1, "readlink /opt/zdm-proxy/current"))
		pids := map[string]string{}
		for _, h := range e.hosts {
			pids[h.Name] = e.mainPID(h.Name)
		}
		r := e.run(append([]string{"rolling-update", "--proxy-binary", bin}, gate...)...)
		if r.code != 0 {
			t.Fatalf("rolling-update: exit %d\n%s", r.code, r.err)
		}
		for _, h := range e.hosts {
			out := e.exec(h.Name, "readlink /opt/zdm-proxy/current; readlink /opt/zdm-proxy/previous; test -x "+shq(before)+" && echo kept")
			lines := strings.Fields(out)
			if len(lines) != 3 || lines[0] == before || !strings.HasPrefix(lines[0], "/opt/zdm-proxy/zdm-proxy-") || lines[1] != before || lines[2] != "kept" {
				t.Errorf("%s: current, previous, old file kept: %q; old %s", h.Name, lines, before)
			}
			if pid := e.mainPID(h.Name); pid == pids[h.Name] || pid == "0" {
				t.Errorf("%s: not restarted onto the new binary (pid %s → %s)", h.Name, pids[h.Name], pid)
			}
		}
		d, _ := e.status()
		if !d.OK || !strings.HasPrefix(d.Summary, "3/3 ready") || !strings.Contains(d.Summary, "no drift") {
			t.Fatalf("status: %s", d.Summary)
		}
		for _, p := range d.Proxies {
			if !p.Ready || p.Drift || p.Version != version {
				t.Errorf("%s: ready %v drift %v version %q, want %q", p.Host, p.Ready, p.Drift, p.Version, version)
			}
		}
		if out := e.run("status"); !strings.Contains(out.out, version) {
			t.Errorf("new version not in the status table:\n%s", out.out)
		}
	})

	step("FailingHostRolledBackThenResume", func(t *testing.T) {
		e.hostVar[h2] = map[string]string{"origin_port": itoa(e.closed)}
		e.writeInventory()
		before3 := e.exec(h3, "sha256sum < /etc/zdm-proxy/zdm-proxy.yaml")
		invBefore, _ := os.ReadFile(e.inv)
		r := e.run(append([]string{"rolling-update", "--log-level", "WARN"}, gate...)...)
		if r.code != 1 {
			t.Fatalf("want exit 1, got %d\n%s", r.code, r.err)
		}
		for _, want := range []string{"stopped at " + h2, "changed: " + h1 + ";", "failed and rolled back: " + h2, "untouched: " + h3 + ";", "--resume"} {
			if !strings.Contains(r.err, want) {
				t.Errorf("message lacks %q:\n%s", want, tail(r.err, 5))
			}
		}
		if after3 := e.exec(h3, "sha256sum < /etc/zdm-proxy/zdm-proxy.yaml"); after3 != before3 {
			t.Errorf("%s was touched", h3)
		}
		if cfg := e.exec(h2, "cat /etc/zdm-proxy/zdm-proxy.yaml"); strings.Contains(cfg, "WARN") || strings.Contains(cfg, itoa(e.closed)) {
			t.Errorf("%s: config not rolled back:\n%s", h2, cfg)
		}
		if out := e.exec(h2, "systemctl is-active zdm-proxy"); strings.TrimSpace(out) != "active" {
			t.Errorf("%s: not running after rollback: %s", h2, out)
		}
		if _, err := os.Stat(zdm.JournalPath(e.inv)); err != nil {
			t.Fatalf("no journal: %v", err)
		}
		// Only h1 runs WARN: the inventory is as it was, and status says
		// why h1 differs from it.
		if invAfter, _ := os.ReadFile(e.inv); string(invAfter) != string(invBefore) {
			t.Errorf("the failed run changed the inventory:\n%s", invAfter)
		}
		if d, _ := e.status(); !strings.Contains(d.Summary, h1+" run log_level=WARN from an unfinished rolling-update") {
			t.Errorf("status does not say why %s differs: %s", h1, d.Summary)
		}
		// Fix the cause and resume: the journal holds the change.
		delete(e.hostVar, h2)
		e.writeInventory()
		r = e.run(append([]string{"rolling-update", "--resume"}, gate...)...)
		if r.code != 0 {
			t.Fatalf("--resume: exit %d\n%s", r.code, r.err)
		}
		if _, err := os.Stat(zdm.JournalPath(e.inv)); err == nil {
			t.Error("journal left after a complete rollout")
		}
		if inv, _ := os.ReadFile(e.inv); !strings.Contains(string(inv), "WARN") {
			t.Errorf("the completed rollout did not save log_level=WARN:\n%s", inv)
		}
		e.vars["log_level"] = "WARN" // as saved
		d, r := e.status()
		if r.code != 0 || !d.OK {
			t.Fatalf("status after resume: %s", r.out)
		}
	})

	step("DriftAfterHandEdit", func(t *testing.T) {
		e.exec(h1, "echo 'log_level: \"DEBUG\"' >> /etc/zdm-proxy/zdm-proxy.yaml")
		d, r := e.status()
		if r.code == 0 || d.OK || !d.Proxies[0].Drift || d.Proxies[1].Drift || !strings.Contains(d.Summary, "drift on "+h1) {
			t.Fatalf("drift not shown: exit %d\n%s", r.code, r.out)
		}
		if r := e.run(append([]string{"deploy"}, gate...)...); r.code != 0 {
			t.Fatalf("deploy to fix drift: exit %d", r.code)
		}
		if d, _ := e.status(); !d.OK {
			t.Fatalf("still drift: %s", d.Summary)
		}
	})

	step("FleetLock", func(t *testing.T) {
		e.exec(h1, "mkdir -p /var/lib/zdm-proxy/zdmctl.lock && echo 'alice@laptop 4242 1700000000' > /var/lib/zdm-proxy/zdmctl.lock/holder")
		r := e.run(append([]string{"rolling-restart"}, gate...)...)
		e.exec(h1, "rm -rf /var/lib/zdm-proxy/zdmctl.lock")
		if r.code != 1 || !strings.Contains(r.err, "held by alice@laptop pid 4242") {
			t.Fatalf("lock: exit %d\n%s", r.code, r.err)
		}
		if r := e.run(append([]string{"rolling-restart"}, gate...)...); r.code != 0 {
			t.Fatalf("rolling-restart: exit %d", r.code)
		}
		if out := e.exec(h1, "ls /var/lib/zdm-proxy"); strings.Contains(out, "zdmctl.lock") {
			t.Error("lock not released")
		}
	})

	step("LogsCollect", func(t *testing.T) {
		out := filepath.Join(e.dir, "logs.tar.gz")
		if r := e.run("logs", "collect", "--since", "1h", "--out", out); r.code != 0 {
			t.Fatalf("logs: exit %d\n%s", r.code, r.err)
		}
		names := tarNames(t, out)
		for _, h := range e.hosts {
			if !names[h.Name+".log"] {
				t.Errorf("no %s.log in %v", h.Name, names)
			}
		}
	})

	step("Teardown", func(t *testing.T) {
		if r := e.run("teardown"); r.code == 0 {
			t.Fatal("teardown without --yes and no answer went ahead")
		}
		if r := e.run("teardown", "--yes"); r.code != 0 {
			t.Fatalf("teardown: exit %d\n%s", r.code, r.err)
		}
		for _, h := range e.hosts {
			out := e.exec(h.Name, "ls -d /opt/zdm-proxy /etc/zdm-proxy /var/lib/zdm-proxy /etc/systemd/system/zdm-proxy.service 2>/dev/null; getent passwd zdm; getent group zdm; systemctl list-units --all --no-legend 'zdm-proxy*'; true")
			if strings.TrimSpace(out) != "" {
				t.Errorf("%s: left behind:\n%s", h.Name, out)
			}
		}
		if d, _ := e.status(); d.Phase.Number != 0 {
			t.Errorf("phase after teardown: %+v", d.Phase)
		}
	})
}

func indexOf(e *zdmEnv, host string) int {
	for i, h := range e.hosts {
		if h.Name == host {
			return i
		}
	}
	return -1
}

func itoa(n int) string { return strconv.Itoa(n) }

func tarNames(t *testing.T, path string) map[string]bool {
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	gz, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	names := map[string]bool{}
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names[h.Name] = true
	}
	return names
}
