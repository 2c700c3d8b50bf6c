package zdmcmd

import "testing"

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
