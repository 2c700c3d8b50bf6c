//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

// crashBinary builds e2e/testdata/crashproxy (linux/amd64) once per test.
func crashBinary(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "crashproxy")
	cmd := exec.Command("go", "build", "-o", out, "./e2e/testdata/crashproxy")
	cmd.Dir = repoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build crashproxy: %v\n%s", err, b)
	}
	return out
}

// httpFrom asks host for http://addr/path with bash /dev/tcp and returns
// the status line ("" when nothing answers).
func (e *zdmEnv) httpFrom(host, addr, port, path string) string {
	out := e.exec(host, fmt.Sprintf(`timeout 3 bash -c 'exec 3<>/dev/tcp/%s/%s && printf "GET %s HTTP/1.0\r\nHost: x\r\n\r\n" >&3 && head -1 <&3' 2>/dev/null; true`, addr, port, path))
	return strings.TrimSpace(out)
}

// TestZDMFailurePaths proves issue 15 on the real fleet: a crash-looping
// binary on the second host is rolled back under a load with no driver
// retries; failed runs leave the inventory byte for byte; teardown refuses
// with clients; a stale lock is named and broken; the admin API is not
// reachable from another host when metrics are exposed.
func TestZDMFailurePaths(t *testing.T) {
	f := SharedFleet(t)
	e := newZDMEnv(t, f)
	if !zdmRealProxy {
		t.Skip("needs the real zdm-proxy (ZDMCTL_E2E_PROXY=real)")
	}
	h1, h2, h3 := e.hosts[0].Name, e.hosts[1].Name, e.hosts[2].Name
	gate := []string{"--healthy-for", "2s", "--pause", "1s", "--ready-timeout", "20s"}
	// Metrics exposed to the network, as monitoring needs.
	e.vars["metrics_address"] = "0.0.0.0"
	e.writeInventory()
	t.Cleanup(func() {
		for _, h := range e.hosts {
			e.exec(h.Name, "rm -rf /etc/zdm-e2e-crash /etc/systemd/system/zdm-proxy.service.d/e2e-limit.conf; systemctl daemon-reload")
		}
		e.cleanupRun("teardown", "--yes", "--force", "--reason", "e2e cleanup")
	})
	if r := e.run(append([]string{"deploy"}, gate...)...); r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s", r.code, r.err)
	}
	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}

	step("AdminAPINotReachableFromAnotherHost", func(t *testing.T) {
		addr1 := e.hosts[0].Address
		if got := e.httpFrom(h2, addr1, "14001", "/metrics"); !strings.Contains(got, " 200") {
			t.Errorf("metrics from %s: %q, want 200", h2, got)
		}
		if got := e.httpFrom(h2, addr1, "14001", "/api/v1/status"); !strings.Contains(got, " 404") {
			t.Errorf("/api/v1/status on the exposed metrics port from %s: %q, want 404", h2, got)
		}
		if got := e.httpFrom(h2, addr1, "14002", "/api/v1/status"); got != "" {
			t.Errorf("the admin API answers from %s: %q", h2, got)
		}
		// The peer notices are on that port too: changing state needs the
		// fleet's peer_notice_token.
		checkPeerNoticeRefused(t, e)
		if got := e.httpFrom(h1, "127.0.0.1", "14002", "/api/v1/status"); !strings.Contains(got, " 200") {
			t.Errorf("the admin API on %s's loopback: %q", h1, got)
		}
		d, r := e.status()
		if r.code != 0 || !d.OK || d.Proxies[0].Version == "" {
			t.Fatalf("status does not read the admin API: exit %d\n%s", r.code, r.out)
		}
	})

	step("CrashLoopOnSecondHostRolledBackUnderLoad", func(t *testing.T) {
		crash := crashBinary(t)
		oldBin := strings.TrimSpace(e.exec(h2, "readlink /opt/zdm-proxy/current"))
		// h2 crashes with the new binary; a strict start limit there, as
		// the unit had before (5 in 10 s), so the crash loop uses it up.
		e.exec(h2, "touch /etc/zdm-e2e-crash && mkdir -p /etc/systemd/system/zdm-proxy.service.d && printf '[Unit]\\nStartLimitIntervalSec=60\\nStartLimitBurst=3\\n' > /etc/systemd/system/zdm-proxy.service.d/e2e-limit.conf && systemctl daemon-reload")
		invBefore, _ := os.ReadFile(e.inv)
		l := startLoadWith(t, e, nil)
		time.Sleep(2 * time.Second)
		r := e.run(append([]string{"rolling-update", "--proxy-binary", crash}, gate...)...)
		time.Sleep(3 * time.Second) // the clients back on h2
		total, failedAt := l.stopAndCount()
		if total == int64(len(failedAt)) {
			t.Fatal("no request succeeded")
		}
		// When each proxy stopped and started, to place any client error.
		events := map[string]string{}
		for _, h := range []string{h1, h2} {
			events[h] = e.exec(h, `journalctl -u zdm-proxy -o short-unix --no-pager --since "-3min" | grep -E "Stopping|Stopped|Started|start request repeated|Scheduled restart" | tail -20; true`)
			t.Logf("%s unit events:\n%s", h, events[h])
		}
		// The crash loop and the rollback begin once h2's old proxy has
		// drained and stopped (its first "Stopped" after a "Stopping"):
		// from then on no request may fail. A request lost before, in
		// the SIGTERM drain of h1 or of h2's old proxy, is an ordinary
		// restart's (proxy/shutdown.go: without a client registered for
		// events on the draining proxy there is no grace), logged apart.
		crashFrom := firstStoppedAfterStopping(events[h2])
		if crashFrom == 0 {
			t.Fatalf("%s: no stop in its unit events", h2)
		}
		var inDrains, inRollback []string
		for _, at := range failedAt {
			if at > crashFrom {
				inRollback = append(inRollback, fmt.Sprintf("%.3f", at))
			} else {
				inDrains = append(inDrains, fmt.Sprintf("%.3f", at))
			}
		}
		t.Logf("load without driver retries: %d requests; failed during the crash loop and rollback: %d; during the ordinary drains before: %d %v",
			total, len(inRollback), len(inDrains), inDrains)
		if len(inRollback) > 0 {
			t.Errorf("requests failed during the crash loop and the rollback of %s at %v (crash loop from %.3f)", h2, inRollback, crashFrom)
		}
		if r.code != 1 {
			t.Fatalf("want exit 1, got %d\n%s", r.code, r.err)
		}
		for _, want := range []string{"stopped at " + h2, "changed: " + h1 + ";", "failed and rolled back: " + h2 + " (restored binary", "untouched: " + h3 + ";"} {
			if !strings.Contains(r.err, want) {
				t.Errorf("message lacks %q:\n%s", want, tail(r.err, 5))
			}
		}
		if strings.Contains(r.err, "is DOWN") || strings.Contains(r.err, "rollback FAILED") {
			t.Errorf("rollback did not bring %s back:\n%s", h2, tail(r.err, 5))
		}
		// The crash loop did use up the start limit, as in the issue: the
		// rollback had to clear it.
		if !strings.Contains(e.exec(h2, "journalctl -u zdm-proxy --no-pager -n 200 2>/dev/null; true"), "Start request repeated too quickly") {
			t.Logf("%s: the crash loop did not hit the start limit this time", h2)
		}
		if got := strings.TrimSpace(e.exec(h2, "readlink /opt/zdm-proxy/current")); got != oldBin {
			t.Errorf("%s runs %s, want its old binary %s", h2, got, oldBin)
		}
		if got := strings.TrimSpace(e.exec(h2, "systemctl is-active zdm-proxy")); got != "active" {
			t.Errorf("%s: %s", h2, got)
		}
		if got := e.httpFrom(h2, "127.0.0.1", "14001", "/health/readiness"); !strings.Contains(got, " 200") {
			t.Errorf("%s not ready after the rollback: %q", h2, got)
		}
		if b, _ := os.ReadFile(e.inv); string(b) != string(invBefore) {
			t.Error("the inventory changed")
		}
		// Put the real binary back on h1.
		e.exec(h2, "rm -rf /etc/zdm-e2e-crash /etc/systemd/system/zdm-proxy.service.d/e2e-limit.conf && systemctl daemon-reload")
		if r := e.run(append([]string{"rolling-update", "--proxy-binary", e.proxy}, gate...)...); r.code != 0 {
			t.Fatalf("reinstall the proxy: exit %d\n%s", r.code, r.err)
		}
	})

	step("LockRefusalLeavesInventory", func(t *testing.T) {
		invBefore, _ := os.ReadFile(e.inv)
		baksBefore, _ := inventory.Backups(e.inv)
		e.exec(h1, "mkdir -p /var/lib/zdm-proxy/zdmctl.lock && echo 'alice@laptop 4242 1700000000' > /var/lib/zdm-proxy/zdmctl.lock/holder")
		r := e.run(append([]string{"rolling-update", "--log-level", "WARN"}, gate...)...)
		e.exec(h1, "rm -rf /var/lib/zdm-proxy/zdmctl.lock")
		if r.code != 1 || !strings.Contains(r.err, "held by alice@laptop pid 4242") || strings.Contains(r.err, "saved log_level") {
			t.Fatalf("lock: exit %d\n%s", r.code, r.err)
		}
		// Not this machine's run: not judged stale, the removal hint logs
		// in as the inventory does, sudo only when that is not root.
		hint := "ssh " + e.hosts[0].User + "@" + e.hosts[0].Address + " 'rm -rf /var/lib/zdm-proxy/zdmctl.lock'"
		if e.hosts[0].User != "root" {
			hint = "ssh " + e.hosts[0].User + "@" + e.hosts[0].Address + " 'sudo rm -rf /var/lib/zdm-proxy/zdmctl.lock'"
		}
		if strings.Contains(r.err, "STALE") || !strings.Contains(r.err, hint) {
			t.Errorf("lock message: %s", tail(r.err, 3))
		}
		if b, _ := os.ReadFile(e.inv); string(b) != string(invBefore) {
			t.Errorf("a run refused by the lock changed the inventory:\n%s", b)
		}
		if baks, _ := inventory.Backups(e.inv); len(baks) != len(baksBefore) {
			t.Errorf("a refused run made a backup: %v", baks)
		}
	})

	step("FirstHostFailureLeavesInventory", func(t *testing.T) {
		e.hostVar[h1] = map[string]string{"origin_port": itoa(e.closed)}
		e.writeInventory()
		invBefore, _ := os.ReadFile(e.inv)
		r := e.run(append([]string{"rolling-update", "-o", "json", "--log-level", "WARN"}, gate...)...)
		var doc struct {
			Error string `json:"error"`
			Data  struct {
				Outcomes map[string]string `json:"outcomes"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
			t.Fatalf("not one JSON document: %v\n%s", err, r.out)
		}
		if r.code != 1 || !strings.Contains(doc.Error, "stopped at "+h1) || !strings.Contains(doc.Error, "failed and rolled back: "+h1) || !strings.Contains(doc.Error, "untouched: "+h2+", "+h3) {
			t.Fatalf("exit %d\n%s", r.code, doc.Error)
		}
		if o := doc.Data.Outcomes; o[h1] != "failed and rolled back" || o[h2] != "untouched" || o[h3] != "untouched" {
			t.Errorf("outcomes %v", o)
		}
		if b, _ := os.ReadFile(e.inv); string(b) != string(invBefore) {
			t.Errorf("a run stopped on its first host changed the inventory:\n%s", b)
		}
		delete(e.hostVar, h1)
		e.writeInventory()
		os.Remove(zdm.JournalPath(e.inv))
		if r := e.run(append([]string{"deploy"}, gate...)...); r.code != 0 {
			t.Fatalf("deploy: exit %d\n%s", r.code, r.err)
		}
	})

	step("StaleLockNamedAndBroken", func(t *testing.T) {
		dead := exec.Command("true")
		if err := dead.Run(); err != nil {
			t.Fatal(err)
		}
		me, _ := os.Hostname()
		e.exec(h1, fmt.Sprintf("mkdir -p /var/lib/zdm-proxy/zdmctl.lock && echo 'ci@%s %d %d' > /var/lib/zdm-proxy/zdmctl.lock/holder", me, dead.Process.Pid, time.Now().Unix()))
		r := e.run(append([]string{"rolling-restart"}, gate...)...)
		if r.code != 1 || !strings.Contains(r.err, fmt.Sprintf("STALE: pid %d is not running on %s", dead.Process.Pid, me)) || !strings.Contains(r.err, "--break-lock") {
			t.Fatalf("stale lock: exit %d\n%s", r.code, tail(r.err, 3))
		}
		r = e.run(append([]string{"rolling-restart", "--break-lock"}, gate...)...)
		if r.code != 0 || !strings.Contains(r.err, "--break-lock: removed") {
			t.Fatalf("--break-lock: exit %d\n%s", r.code, tail(r.err, 5))
		}
		b, err := os.ReadFile(zdm.ActionsPath(e.inv))
		if err != nil || !strings.Contains(string(b), `"action":"break-lock"`) || !strings.Contains(string(b), fmt.Sprintf("pid %d", dead.Process.Pid)) {
			t.Fatalf("journal of actions: %s %v", b, err)
		}
		if out := e.exec(h1, "ls /var/lib/zdm-proxy"); strings.Contains(out, "zdmctl.lock") {
			t.Error("lock not released after the run")
		}
	})

	step("TeardownRefusedWithClients", func(t *testing.T) {
		l := startLoad(t, e)
		time.Sleep(2 * time.Second)
		r := e.run("teardown", "--yes")
		l.finish(t, "refused teardown")
		if r.code != 3 || !strings.Contains(r.err, "teardown refused, nothing changed") {
			t.Fatalf("exit %d\n%s", r.code, tail(r.err, 3))
		}
		for _, h := range e.hosts {
			if !strings.Contains(r.err, h.Name+": ") {
				t.Errorf("%s not named: %s", h.Name, tail(r.err, 3))
			}
			if got := strings.TrimSpace(e.exec(h.Name, "systemctl is-active zdm-proxy")); got != "active" {
				t.Errorf("%s: %s after a refused teardown", h.Name, got)
			}
		}
	})
}

// firstStoppedAfterStopping is the time (unix seconds) of the first
// "Stopped" line after a "Stopping" one in journalctl -o short-unix
// output; 0 when there is none.
func firstStoppedAfterStopping(events string) float64 {
	stopping := false
	for _, l := range strings.Split(events, "\n") {
		switch {
		case strings.Contains(l, "Stopping "):
			stopping = true
		case stopping && strings.Contains(l, "Stopped "):
			var at float64
			fmt.Sscan(strings.Fields(l)[0], &at)
			return at
		}
	}
	return 0
}
