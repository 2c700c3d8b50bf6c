package zdm

import (
	"fmt"
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
