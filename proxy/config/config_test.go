package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "zdm.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEnvAloneIsComplete(t *testing.T) {
	c, _, err := Load("", []string{"ZDM_ORIGIN_CONTACT_POINTS=10.0.0.1,10.0.0.2", "ZDM_TARGET_CONTACT_POINTS=10.0.1.1", "ZDM_PRIMARY_CLUSTER=target"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Origin.Addresses(); len(got) != 2 || got[1] != "10.0.0.2:9042" {
		t.Fatalf("origin addresses = %v", got)
	}
	if c.PrimaryCluster != ClusterTarget || c.ReadMode != ReadModePrimaryOnly || c.RequestTimeoutMs != 10000 || c.ListenAddr() != "0.0.0.0:9042" {
		t.Fatalf("unexpected config %+v", c)
	}
}

func TestFileThenEnvOverride(t *testing.T) {
	p := writeFile(t, "origin_contact_points: [a, b]\ntarget_contact_points: c\ntarget_port: 9043\nread_mode: DUAL_ASYNC_ON_SECONDARY\nproxy_topology_addresses: 1.1.1.1,1.1.1.2\nproxy_topology_index: 1\n")
	c, _, err := Load(p, []string{"ZDM_TARGET_PORT=9044"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Target.Port != 9044 || c.ReadMode != ReadModeDualAsyncOnSecondary || len(c.Origin.ContactPoints) != 2 || c.TopologyIndex != 1 {
		t.Fatalf("unexpected %+v", c)
	}
}

func TestErrorsAreOneLineAndNameKey(t *testing.T) {
	cases := []struct{ file, env, want string }{
		{"origin_contact_points: a\ntarget_contact_points: b\nbogus_key: 1\n", "", "bogus_key"},
		{"origin_contact_points: a\ntarget_contact_points: b\norigin_port: 70000\n", "", "origin_port"},
		{"origin_contact_points: a\ntarget_contact_points: b\n", "ZDM_READ_MODE=SOMETIMES", "DUAL_ASYNC_ON_SECONDARY"},
		{"origin_contact_points: a\n", "", "target_contact_points"},
	}
	for _, tc := range cases {
		var env []string
		if tc.env != "" {
			env = []string{tc.env}
		}
		_, _, err := Load(writeFile(t, tc.file), env)
		if err == nil {
			t.Fatalf("expected error for %q %q", tc.file, tc.env)
		}
		if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("error %q should be one line containing %q", err, tc.want)
		}
	}
}

func TestSecretsNotInErrors(t *testing.T) {
	// A password cannot be invalid, but make sure LogValue redacts it.
	c, _, err := Load("", []string{"ZDM_ORIGIN_CONTACT_POINTS=a", "ZDM_TARGET_CONTACT_POINTS=b", "ZDM_ORIGIN_PASSWORD=hunter2"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.LogValue().String(), "hunter2") {
		t.Fatal("password leaked into LogValue")
	}
}

func TestKeysDescribeEveryKey(t *testing.T) {
	keys := Keys()
	if len(keys) != len(knownKeys) {
		t.Fatal("Keys() does not list every key")
	}
	for _, k := range keys {
		if k.Allowed == "" || k.Env != "ZDM_"+strings.ToUpper(k.Name) {
			t.Fatalf("incomplete key description %+v", k)
		}
	}
}
