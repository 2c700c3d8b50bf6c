package zdm

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/zdmctl/zdmctl/playbooks"
	"github.com/zdmctl/zdmctl/playbooks/tmpl"
)

// stableScript is the "stable" task of the gated playbooks, the same in
// both: the stability window counted from the proxy process's start.
func stableScript(t *testing.T) string {
	t.Helper()
	var got []string
	for _, name := range []string{"zdm-deploy", "zdm-restart"} {
		pb, err := playbooks.Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, play := range pb.Plays {
			for _, task := range play.Tasks {
				if task.Name == "stable" {
					if task.Module != "shell" {
						t.Fatalf("%s: stable is a %s task", name, task.Module)
					}
					got = append(got, task.Args["cmd"].(string))
				}
			}
		}
	}
	if len(got) != 2 || got[0] != got[1] {
		t.Fatalf("want one identical stable task in zdm-deploy and zdm-restart, got %d", len(got))
	}
	return got[0]
}

// stableHost is a stand-in for a proxy host: a systemctl that prints
// state (and counts its calls), and a readiness endpoint.
type stableHost struct {
	dir   string
	ready atomic.Bool
	port  int
}

func newStableHost(t *testing.T) *stableHost {
	h := &stableHost{dir: t.TempDir()}
	h.ready.Store(true)
	if err := os.WriteFile(filepath.Join(h.dir, "systemctl"), []byte("#!/bin/sh\necho call >> \"$(dirname \"$0\")/calls\"\ncat \"$(dirname \"$0\")/state\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health/readiness" || !h.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	h.port = srv.Listener.Addr().(*net.TCPAddr).Port
	return h
}

func (h *stableHost) state(t *testing.T, pid, restarts int, active string) {
	t.Helper()
	s := "MainPID=" + strconv.Itoa(pid) + "\nNRestarts=" + strconv.Itoa(restarts) + "\nActiveState=" + active + "\n"
	if err := os.WriteFile(filepath.Join(h.dir, "state"), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (h *stableHost) calls() int {
	b, _ := os.ReadFile(filepath.Join(h.dir, "calls"))
	return strings.Count(string(b), "call")
}

// run renders the script as the playbook would (proc: what systemctl
// showed at readiness) and runs it.
func (h *stableHost) run(t *testing.T, pid0, restarts0, healthyMs, timeoutMs int) (rc int, stdout, stderr string) {
	t.Helper()
	vars := map[string]any{
		"proc":                 map[string]any{"stdout": "MainPID=" + strconv.Itoa(pid0) + "\nNRestarts=" + strconv.Itoa(restarts0)},
		"zdm_healthy_for_ms":   healthyMs,
		"zdm_ready_timeout_ms": timeoutMs,
		"metrics_port":         h.port,
	}
	script, err := tmpl.Render("stable", stableScript(t), vars)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+h.dir+":"+os.Getenv("PATH"))
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

// young starts a process that has just begun, as a restarted proxy.
func young(t *testing.T) int {
	c := exec.Command("sleep", "60")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	return c.Process.Pid
}

// A process that has run the window already by the time the clients are
// back (its start, not readiness, opens it) passes at the first check:
// the window overlapped the readiness and clients-back waits.
func TestStableWindowCountsFromProcessStart(t *testing.T) {
	h := newStableHost(t)
	pid := 1 // up for longer than the default window of 2 s
	if _, err := os.Stat("/proc/1/stat"); err != nil {
		t.Skip(err)
	}
	h.state(t, pid, 0, "active")
	rc, out, errs := h.run(t, pid, 0, 2000, 10000)
	if rc != 0 || !strings.Contains(out, "stable: process "+strconv.Itoa(pid)) {
		t.Fatalf("rc %d\n%s%s", rc, out, errs)
	}
	if n := h.calls(); n != 1 {
		t.Errorf("systemctl asked %d times: the window should already be over at the first check", n)
	}
}

// A process younger than the window is watched until the window is over.
func TestStableWindowWaitsForAYoungProcess(t *testing.T) {
	h := newStableHost(t)
	pid := young(t)
	h.state(t, pid, 0, "active")
	rc, out, errs := h.run(t, pid, 0, 1000, 10000)
	if rc != 0 || !strings.Contains(out, "not restarted") {
		t.Fatalf("rc %d\n%s%s", rc, out, errs)
	}
	if n := h.calls(); n < 2 {
		t.Errorf("systemctl asked %d times: a process just started passed without a window", n)
	}
}

// A crash loop is caught: a new main process, an automatic restart, a
// unit waiting to restart, or no main process at readiness fail the gate.
func TestStableWindowCatchesACrashLoop(t *testing.T) {
	pid := young(t)
	other := young(t)
	for _, tc := range []struct {
		name                string
		pid, restarts       int
		active              string
		basePID, baseStarts int
		want                string
	}{
		{"new main process", other, 0, "active", pid, 0, "did not stay up"},
		{"restarted by systemd", pid, 1, "active", pid, 0, "automatic restarts 0, now 1"},
		{"waiting to restart", 0, 1, "activating", pid, 0, "did not stay up"},
		{"no process at readiness", 0, 0, "activating", 0, 0, "no main process right after readiness"},
		{"process gone", 999999999, 0, "active", 999999999, 0, "is gone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newStableHost(t)
			h.state(t, tc.pid, tc.restarts, tc.active)
			rc, out, errs := h.run(t, tc.basePID, tc.baseStarts, 60000, 120000)
			if rc == 0 || !strings.Contains(errs, tc.want) {
				t.Fatalf("rc %d, want a failure saying %q\n%s%s", rc, tc.want, out, errs)
			}
		})
	}
}

// Not ready restarts the window; never ready within the timeout fails.
func TestStableWindowNeedsReadiness(t *testing.T) {
	h := newStableHost(t)
	pid := os.Getppid()
	h.state(t, pid, 0, "active")
	h.ready.Store(false)
	rc, out, errs := h.run(t, pid, 0, 1, 600)
	if rc == 0 || !strings.Contains(errs, "not ready for 1ms in a row within 600ms") {
		t.Fatalf("rc %d\n%s%s", rc, out, errs)
	}
}
