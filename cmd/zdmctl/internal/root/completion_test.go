package root

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
)

func complete(t *testing.T, args ...string) string {
	t.Helper()
	io, out, _ := cmdutil.Test()
	f := cmdutil.New(io)
	cmd := NewCmdRoot(f)
	cmd.SetOut(out)
	cmd.SetArgs(append([]string{"__complete"}, args...))
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestCompletesFlagValues(t *testing.T) {
	if got := complete(t, "rolling-update", "--read-mode", ""); !strings.Contains(got, "DUAL_ASYNC_ON_SECONDARY") || !strings.Contains(got, "PRIMARY_ONLY") {
		t.Errorf("--read-mode: %s", got)
	}
	if got := complete(t, "client-config", "--driver", ""); !strings.Contains(got, "gocql") || !strings.Contains(got, "python") {
		t.Errorf("--driver: %s", got)
	}
	if got := complete(t, "rolling-update", "--primary-cluster", ""); !strings.Contains(got, "TARGET") {
		t.Errorf("--primary-cluster: %s", got)
	}
	if got := complete(t, "rolling-update", "--write-mode", ""); !strings.Contains(got, "DUAL_SYNC") || !strings.Contains(got, "DUAL_ASYNC_ON_SECONDARY") {
		t.Errorf("--write-mode: %s", got)
	}
	inv := filepath.Join(t.TempDir(), "inv.yaml")
	os.WriteFile(inv, []byte("groups:\n  proxies:\n    hosts:\n      p1: {address: 10.0.0.1}\n      p2: {address: 10.0.0.2}\n"), 0o600)
	got := complete(t, "-i", inv, "status", "-l", "p1,")
	for _, want := range []string{"p1,proxies", "p1,p2"} {
		if !strings.Contains(got, want) {
			t.Errorf("--limit: no %q in %s", want, got)
		}
	}
	if got := complete(t, "playbook", "run", ""); !strings.Contains(got, "zdm-deploy") || !strings.Contains(got, "ping") {
		t.Errorf("playbook names: %s", got)
	}
}
