package zdmcmd

import (
	"bytes"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/playbooks"
)

// The case: tb1 changed, tb2 failed and was rolled back, tb3 never
// reached. The old message said "untouched: tb1, tb3".
func TestFailureMessageListsWhatReallyHappened(t *testing.T) {
	order := []string{"tb1", "tb2", "tb3"}
	fl := &failure{host: "tb2", task: "readiness", msg: "not ready after 20s", rollback: "restored binary, proxy ready again", rolledBack: true}
	res := &runner.Result{Hosts: []*runner.HostSummary{{Host: "tb1", Changed: 3}, {Host: "tb2", Changed: 2, Failed: 1}}}
	r := &Rollout{Env: &Env{Path: "inv.yaml"}, Command: "rolling-update", Journal: zdm.NewJournal("j", "rolling-update", "", nil)}
	r.Outcomes = hostOutcomes(order, map[string]bool{"tb1": true}, nil, []*failure{fl}, res)
	got := r.failureMessage(res, fl, order, []*failure{fl})
	want := `rolling-update stopped at tb2: task "readiness" failed: not ready after 20s; changed: tb1; failed and rolled back: tb2 (restored binary, proxy ready again); untouched: tb3; fix the cause, then resume with: zdmctl -i inv.yaml rolling-update --resume`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestOutcomesDownEarlierUnchanged(t *testing.T) {
	order := []string{"a", "b", "c", "d"}
	fl := &failure{host: "c", rollback: "rollback FAILED: not ready", down: true}
	res := &runner.Result{Hosts: []*runner.HostSummary{{Host: "b", Changed: 0}}}
	out := hostOutcomes(order, map[string]bool{"b": true}, map[string]bool{"a": true}, []*failure{fl}, res)
	want := map[string]Outcome{"a": OutcomeEarlier, "b": OutcomeUnchanged, "c": OutcomeDown, "d": OutcomeUntouched}
	for h, o := range want {
		if out[h] != o {
			t.Errorf("%s: %q, want %q", h, out[h], o)
		}
	}
}

func TestInterruptedSaysInterrupted(t *testing.T) {
	res := &runner.Result{Interrupted: true}
	r := &Rollout{Env: &Env{Path: "inv.yaml"}, Command: "rolling-restart"}
	r.Outcomes = hostOutcomes([]string{"a", "b"}, map[string]bool{"a": true}, nil, nil, res)
	got := r.failureMessage(res, nil, []string{"a", "b"}, nil)
	if !strings.HasPrefix(got, "rolling-restart interrupted; already up to date: a; untouched: b") || strings.Contains(got, "unreachable") {
		t.Fatalf("got %s", got)
	}
}

func TestSSHHintSudoOnlyWhenNotRoot(t *testing.T) {
	h := &inventory.Host{Name: "tb1", Address: "10.0.0.1", User: "root"}
	if got := SSHHint(h, "", "rm -rf /x"); got != "ssh root@10.0.0.1 'rm -rf /x'" {
		t.Fatal(got)
	}
	h = &inventory.Host{Name: "tb1", Address: "10.0.0.1", Port: 2222, User: "ops"}
	if got := SSHHint(h, "", "a", "b"); got != "ssh -p 2222 ops@10.0.0.1 'sudo a && sudo b'" {
		t.Fatal(got)
	}
	// The login user learnt from the host (ssh config) wins.
	h = &inventory.Host{Name: "tb1", Address: "10.0.0.1"}
	if got := SSHHint(h, "root", "a"); got != "ssh 10.0.0.1 'a'" {
		t.Fatal(got)
	}
}

func TestDownWarningNamesCommand(t *testing.T) {
	var buf bytes.Buffer // not a terminal: no colour
	got := downWarning(&buf, []*inventory.Host{{Name: "tb2", Address: "10.0.0.2", User: "ops"}})
	if strings.Contains(got, "\x1b[") || !strings.Contains(got, "tb2 is DOWN") || !strings.Contains(got, "ssh ops@10.0.0.2 'sudo systemctl reset-failed zdm-proxy && sudo systemctl restart zdm-proxy'") {
		t.Fatal(got)
	}
}

func TestOneAtATimeSetsSerialOnly(t *testing.T) {
	pb, err := playbooks.Builtin("zdm-teardown")
	if err != nil {
		t.Fatal(err)
	}
	one := oneAtATime(pb)
	for i, p := range one.Plays {
		if len(p.Serial) != 1 || p.Serial[0].N != 1 {
			t.Errorf("play %q: serial %v", p.Name, p.Serial)
		}
		if len(pb.Plays[i].Serial) != 0 {
			t.Errorf("the built-in playbook was changed")
		}
	}
}
