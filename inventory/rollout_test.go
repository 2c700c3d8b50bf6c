package inventory

import (
	"strings"
	"testing"
	"time"
)

func TestRolloutSection(t *testing.T) {
	inv, err := parse("inv.yaml", []byte(`rollout:
  healthy_for: 3s
  pause: 0s
  timeout: 1m
  reconnect: none
  reconnect_timeout: 20s
  parallel_first_deploy: false
  max_unavailable: 10%
hosts:
  a: {address: 10.0.0.1}
`))
	if err != nil {
		t.Fatal(err)
	}
	r := inv.RolloutSettings()
	if *r.HealthyFor != 3*time.Second || *r.Pause != 0 || *r.Timeout != time.Minute || *r.ReconnectTimeout != 20*time.Second ||
		r.Reconnect != ReconnectNone || *r.ParallelFirstDeploy || *r.MaxUnavailable != (Share{N: 10, Percent: true}) {
		t.Fatalf("%+v", r)
	}
	inv, err = parse("inv.yaml", []byte("hosts:\n  a: {address: 10.0.0.1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := inv.RolloutSettings(); r.HealthyFor != nil || r.Reconnect != "" || r.ParallelFirstDeploy != nil || r.MaxUnavailable != nil {
		t.Fatalf("unset section: %+v", r)
	}
}

func TestRolloutSectionErrors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"rollout:\n  healthy_for: soon\n", "inv.yaml:2: rollout.healthy_for: want a duration"},
		{"rollout:\n  reconnect: always\n", `inv.yaml:2: rollout.reconnect: want before or none, got "always"`},
		{"rollout:\n  parallel_first_deploy: maybe\n", "inv.yaml:2: rollout.parallel_first_deploy: want true or false"},
		{"rollout:\n  pauze: 1s\n", "inv.yaml:2: rollout.pauze: unknown key"},
		{"rollout:\n  max_unavailable: 0\n", `inv.yaml:2: rollout.max_unavailable: want a count of hosts like 2, or a percentage like 10%, got "0"`},
		{"rollout:\n  max_unavailable: 150%\n", "inv.yaml:2: rollout.max_unavailable: want a count"},
		{"rollout:\n  max_unavailable: [1]\n", "inv.yaml:2: rollout.max_unavailable: want a count"},
	} {
		_, err := parse("inv.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %s", c.yaml, err, c.want)
		}
	}
}

func TestDefaultsKnownHostsAndSSHConfig(t *testing.T) {
	inv, err := parse("/etc/zdm/inv.yaml", []byte(`defaults:
  known_hosts: ssh/known_hosts
  ssh_config: /abs/config
hosts:
  a: {address: 10.0.0.1}
`))
	if err != nil {
		t.Fatal(err)
	}
	if inv.KnownHosts != "/etc/zdm/ssh/known_hosts" || inv.SSHConfig != "/abs/config" {
		t.Fatalf("known_hosts %q ssh_config %q", inv.KnownHosts, inv.SSHConfig)
	}
	if _, err := parse("inv.yaml", []byte("hosts:\n  a: {address: 10.0.0.1, known_hosts: x}\n")); err == nil || !strings.Contains(err.Error(), "known_hosts: unknown key") {
		t.Fatalf("known_hosts on a host: %v", err)
	}
}

func TestYAMLSyntaxErrorLines(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		// A host indented one space short, on line 8.
		{"vars:\n  a: 1\n  b: 2\ngroups:\n  proxies:\n    hosts:\n      p1: {address: 10.0.0.1}\n     p2: {address: 10.0.0.2}\n", "f.yaml:8: invalid YAML"},
		{"vars:\n  a: 1\n\tb: 2\n", "f.yaml:3: invalid YAML: a tab in the indentation"},
		{"vars:\n  a: 1\n  b: 2\n    c: 3\n", "f.yaml:4: invalid YAML"},
	} {
		_, err := parse("f.yaml", []byte(c.doc))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %s...", c.doc, err, c.want)
		}
	}
}
