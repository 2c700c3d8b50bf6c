package zdmcmd

import (
	"testing"

	"github.com/zdmctl/zdmctl/deploy/runner"
)

func TestPreflightMessageGroupsHosts(t *testing.T) {
	fails := []*failure{
		{host: "p3", task: "contact points reachable", msg: "non-zero exit code 1: cannot open TCP to origin 10.0.0.1:9042"},
		{host: "p1", task: "contact points reachable", msg: "non-zero exit code 1: cannot open TCP to origin 10.0.0.1:9042"},
		{host: "p2", task: "disk space", msg: "non-zero exit code 1: less than 100 MiB free on /opt\nmore"},
	}
	got := preflightMessage("deploy", []string{"p1", "p2", "p3"}, fails)
	want := "deploy: preflight failed, nothing was changed: p1, p3: contact points reachable: cannot open TCP to origin 10.0.0.1:9042; p2: disk space: less than 100 MiB free on /opt"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestMergeReportsBothRuns(t *testing.T) {
	a := &runner.Result{Playbook: "builtin:zdm-deploy.yaml", Duration: 2, Plays: []*runner.PlayResult{{Name: "install"}}, Hosts: []*runner.HostSummary{{Host: "p1", Changed: 3, Status: "ok"}}}
	b := &runner.Result{Playbook: "builtin:zdm-monitoring.yaml", Duration: 1, Plays: []*runner.PlayResult{{Name: "monitoring"}}, Hosts: []*runner.HostSummary{{Host: "mon", Status: "failed", Failed: 1}}}
	m := merge(nil, a)
	if m != a {
		t.Fatal("merge with nothing is not the run itself")
	}
	m = merge(a, b)
	if len(m.Hosts) != 2 || len(m.Plays) != 2 || m.Duration != 3 || m.Playbook != "builtin:zdm-deploy.yaml, builtin:zdm-monitoring.yaml" || m.ExitCode() != runner.ExitFailed {
		t.Fatalf("%+v", m)
	}
	if len(a.Hosts) != 1 || len(a.Plays) != 1 {
		t.Fatal("merge changed its first argument")
	}
}
