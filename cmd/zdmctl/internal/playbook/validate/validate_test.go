package validate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
)

func TestValidate(t *testing.T) {
	f, out, _ := cmdtest.Factory(cmdtest.NewInventory("a", "b"))
	if err := Run(&Options{F: f, Playbook: "ping"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "builtin:ping.yaml: valid") || !strings.Contains(out.String(), "2 hosts") {
		t.Fatalf("%s", out)
	}
	p := filepath.Join(t.TempDir(), "p.yaml")
	os.WriteFile(p, []byte("- hosts: nosuchgroup\n  tasks:\n    - shell: x\n"), 0o644)
	f, _, _ = cmdtest.Factory(cmdtest.NewInventory("a"))
	err := Run(&Options{F: f, Playbook: p})
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "p.yaml:1") {
		t.Fatalf("err %v", err)
	}
	f, _, _ = cmdtest.Factory(nil)
	if err := Run(&Options{F: f, Playbook: p, NoInventory: true}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, []byte("- hosts: all\n  tasks:\n    - shell: x\n      when: a ==\n"), 0o644)
	if err := Run(&Options{F: f, Playbook: p, NoInventory: true}); cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "p.yaml:4") {
		t.Fatalf("err %v", err)
	}
}
