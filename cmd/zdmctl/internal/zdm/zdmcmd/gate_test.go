package zdmcmd

import (
	"fmt"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/playbooks"
)

func TestGateDefaultsInventoryThenFlags(t *testing.T) {
	d := func(s string) *time.Duration { v, _ := time.ParseDuration(s); return &v }
	no := false
	inv := &inventory.Inventory{Rollout: inventory.Rollout{HealthyFor: d("4s"), Pause: d("1s"), Timeout: d("30s"), ReconnectTimeout: d("9s"), Reconnect: "none", ParallelFirstDeploy: &no, MaxUnavailable: &inventory.Share{N: 10, Percent: true}}}

	var g Gate
	cmd := &cobra.Command{Use: "x"}
	AddGateFlags(cmd, &g)
	if err := cmd.ParseFlags(nil); err != nil {
		t.Fatal(err)
	}
	got := g.resolve(&inventory.Inventory{})
	if got.HealthyFor != DefaultHealthyFor || got.Pause != 0 || got.ReadyTimeout != DefaultReadyTimeout ||
		got.ReconnectTimeout != DefaultReconnectTimeout || got.Reconnect != "before" || !got.ParallelFirst || got.MaxUnavailable != (inventory.Share{N: 1}) {
		t.Fatalf("defaults: %+v", got)
	}
	got = g.resolve(inv)
	if got.HealthyFor != 4*time.Second || got.Pause != time.Second || got.ReadyTimeout != 30*time.Second ||
		got.ReconnectTimeout != 9*time.Second || got.Reconnect != "none" || got.ParallelFirst || got.MaxUnavailable.String() != "10%" {
		t.Fatalf("inventory: %+v", got)
	}

	var g2 Gate
	cmd2 := &cobra.Command{Use: "x"}
	AddGateFlags(cmd2, &g2)
	if err := cmd2.ParseFlags([]string{"--healthy-for", "7s", "--pause", "0s"}); err != nil {
		t.Fatal(err)
	}
	got = g2.resolve(inv)
	if got.HealthyFor != 7*time.Second || got.Pause != 0 || got.ReadyTimeout != 30*time.Second {
		t.Fatalf("flags over inventory: %+v", got)
	}
}

func TestParallelPlaybookOneBatch(t *testing.T) {
	pre := &playbooks.Play{Name: "preflight"}
	inst := &playbooks.Play{Name: "install", Serial: []playbooks.SerialStep{{N: 1}}}
	pb := &playbooks.Playbook{Name: "zdm-deploy", Plays: []*playbooks.Play{pre, inst}}
	out := parallelPlaybook(pb)
	if len(out.Plays) != 2 || out.Plays[0] != pre || len(out.Plays[1].Serial) != 1 || out.Plays[1].Serial[0].String() != "100%" {
		t.Fatalf("%+v", out.Plays)
	}
	if inst.Serial[0].N != 1 {
		t.Fatal("the original playbook was changed")
	}
}

// rollout.max_unavailable turns the one-at-a-time plays into batches of
// that share; plays with another serial (or none) keep theirs.
func TestBatchedPlaybook(t *testing.T) {
	pre := &playbooks.Play{Name: "preflight"}
	inst := &playbooks.Play{Name: "install", Serial: []playbooks.SerialStep{{N: 1}}}
	own := &playbooks.Play{Name: "own", Serial: []playbooks.SerialStep{{N: 2}}}
	pb := &playbooks.Playbook{Name: "zdm-deploy", Plays: []*playbooks.Play{pre, inst, own}}
	out := batchedPlaybook(pb, inventory.Share{N: 10, Percent: true})
	if len(out.Plays) != 3 || out.Plays[0] != pre || out.Plays[2] != own || out.Plays[1].Serial[0].String() != "10%" {
		t.Fatalf("%+v", out.Plays)
	}
	if inst.Serial[0].N != 1 {
		t.Fatal("the original playbook was changed")
	}
	hosts := make([]string, 30)
	for i := range hosts {
		hosts[i] = fmt.Sprint("p", i)
	}
	if b := runner.Batches(hosts, out.Plays[1].Serial); len(b) != 10 || len(b[0]) != 3 {
		t.Fatalf("30 hosts at 10%%: %d batches of %d", len(b), len(b[0]))
	}
}
