package zdm

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/playbooks"
)

// A crash-looping binary may leave the unit failed (start-limit-hit): every
// start or restart zdmctl does must clear that first, or systemd refuses it
// and the host stays down.
func TestEveryStartClearsAFailedUnitFirst(t *testing.T) {
	if r, s := strings.Index(rollbackScript, "systemctl reset-failed zdm-proxy"), strings.Index(rollbackScript, "systemctl restart zdm-proxy"); r < 0 || r > s {
		t.Errorf("the rollback restarts without reset-failed first")
	}
	for _, name := range []string{"zdm-deploy", "zdm-restart"} {
		pb, err := playbooks.Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, play := range pb.Plays {
			cleared := false
			for _, task := range play.Tasks {
				args := fmt.Sprint(task.Args)
				if strings.Contains(args, "reset-failed zdm-proxy") {
					cleared = true
				}
				st, _ := task.Args["state"].(string)
				if task.Module == "systemd" && (st == "started" || st == "restarted") && !cleared {
					t.Errorf("%s: task %q (line %d) starts the proxy without reset-failed before it", name, task.Name, task.Line)
				}
			}
		}
	}
}

// With StartLimitIntervalSec=0 systemd never gives up restarting a crashed
// proxy, so no start is refused for a used-up start limit.
func TestProxyUnitNeverHitsTheStartLimit(t *testing.T) {
	pb, err := playbooks.Builtin("zdm-deploy")
	if err != nil {
		t.Fatal(err)
	}
	for _, play := range pb.Plays {
		for _, task := range play.Tasks {
			content, _ := task.Args["content"].(string)
			if task.Module != "systemd" || content == "" {
				continue
			}
			unit, _, _ := strings.Cut(content, "[Service]")
			if !strings.Contains(unit, "\nStartLimitIntervalSec=0\n") {
				t.Errorf("the [Unit] section does not disable the start limit:\n%s", unit)
			}
			return
		}
	}
	t.Fatal("no zdm-proxy unit in zdm-deploy")
}

// rollbackFixture is a host tree (etc, opt) after a run "r1" replaced the
// binary and the config, a stand-in systemctl that logs its calls, and a
// proxy admin API answering readiness and the given config hash.
func rollbackFixture(t *testing.T, runningSHA func(string) string) (dir string, port int, calls func() string) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	dir = t.TempDir()
	etc, opt, bin := filepath.Join(dir, "etc"), filepath.Join(dir, "opt"), filepath.Join(dir, "bin")
	for _, d := range []string{etc, opt, bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(etc, "zdm-proxy.yaml"), "log_level: WARN\n")
	write(filepath.Join(etc, "zdm-proxy.yaml.prev"), "log_level: INFO\n")
	write(filepath.Join(etc, "rollback-run"), "r1 config binary\n")
	os.Symlink(filepath.Join(opt, "zdm-proxy-old"), filepath.Join(opt, "previous"))
	os.Symlink(filepath.Join(opt, "zdm-proxy-new"), filepath.Join(opt, "current"))
	log := filepath.Join(dir, "systemctl.log")
	write(filepath.Join(bin, "systemctl"), "#!/bin/sh\necho \"$*\" >> "+log+"\n")
	mux := http.NewServeMux()
	mux.HandleFunc("/health/readiness", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"ready":true}`)) })
	mux.HandleFunc("/api/v1/status", func(w http.ResponseWriter, _ *http.Request) {
		b, _ := os.ReadFile(filepath.Join(etc, "zdm-proxy.yaml"))
		fmt.Fprintf(w, `{"config_sha256":%q}`, runningSHA(Hash(b)))
	})
	port = localPort(t, mux)
	rollbackTestEnv = fmt.Sprintf("RB_ETC=%s RB_OPT=%s PATH=%s:$PATH\n", etc, opt, bin)
	t.Cleanup(func() { rollbackTestEnv = "" })
	return dir, port, func() string { b, _ := os.ReadFile(log); return string(b) }
}

func TestRollbackRestoresClearsRestartsAndConfirms(t *testing.T) {
	dir, port, calls := rollbackFixture(t, func(sha string) string { return sha })
	what, err := Rollback(context.Background(), shellConn{}, "r1", port, port)
	if err != nil || what != "config binary" {
		t.Fatalf("rollback: %q %v", what, err)
	}
	if got := calls(); !strings.Contains(got, "reset-failed zdm-proxy\nrestart zdm-proxy\n") {
		t.Fatalf("systemctl calls:\n%s", got)
	}
	if cur, _ := os.Readlink(filepath.Join(dir, "opt", "current")); !strings.HasSuffix(cur, "zdm-proxy-old") {
		t.Fatalf("current -> %s", cur)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "etc", "zdm-proxy.yaml")); string(b) != "log_level: INFO\n" {
		t.Fatalf("config %q", b)
	}
}

// Ready is not enough: a proxy that runs another config than the restored
// one did not come back as it was.
func TestRollbackFailsWhenTheProxyRunsAnotherConfig(t *testing.T) {
	_, port, _ := rollbackFixture(t, func(string) string { return "0123456789abcdef" })
	if _, err := Rollback(context.Background(), shellConn{}, "r1", port, port); err == nil || !strings.Contains(err.Error(), "does not run the restored config") {
		t.Fatalf("got %v", err)
	}
}
