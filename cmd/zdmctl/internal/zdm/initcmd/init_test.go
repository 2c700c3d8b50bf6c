package initcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

func TestPromptsWriteAValidInventory(t *testing.T) {
	f, _, errOut := cmdtest.Factory(nil)
	out := filepath.Join(t.TempDir(), "zdm.yaml")
	f.Settings.Inventory = out
	// Required answers left empty are asked again; optional ones are not.
	f.IO.In = strings.NewReader("\n10.0.0.11, 10.0.0.12\nubuntu\n~/.ssh/id\n10.0.1.1\ncassandra\nenv:ORIGIN_PW\n10.0.2.1\n\n\n")
	if err := Run(&Options{F: f}); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	inv, err := inventory.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ORIGIN_PW", "x")
	fl, err := zdm.Plan(inv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fl.Names(); len(got) != 2 || inv.Host(got[1]).Address != "10.0.0.12" || inv.Host(got[0]).User != "ubuntu" {
		t.Fatalf("hosts %v", got)
	}
	c := fl.Configs[fl.Names()[0]]
	if c.Values["origin_contact_points"] != "10.0.1.1" || c.Values["origin_password"] != "x" || c.Values["target_username"] != "" {
		t.Fatalf("values %v", c.Values)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	if !strings.Contains(errOut.String(), "Proxy host addresses") {
		t.Errorf("no prompt shown: %s", errOut)
	}
}

func TestFlagsAndNoOverwrite(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	out := filepath.Join(t.TempDir(), "zdm.yaml")
	f.Settings.Inventory = out
	a := Answers{Proxies: "10.0.0.11", SSHUser: "u", SSHKey: "k", OriginContacts: "10.0.1.1", TargetContacts: "10.0.2.1"}
	if err := Run(&Options{F: f, Answers: a, NoPrompt: true}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(out)
	a.Proxies = "10.9.9.9"
	err := Run(&Options{F: f, Answers: a, NoPrompt: true})
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("overwrite without --force: %v", err)
	}
	if after, _ := os.ReadFile(out); string(after) != string(before) {
		t.Fatal("file changed")
	}
	if err := Run(&Options{F: f, Answers: a, NoPrompt: true, Force: true}); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(out); !strings.Contains(string(after), "10.9.9.9") {
		t.Fatal("--force did not overwrite")
	}
}

func TestBadAnswersWriteNothing(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	out := filepath.Join(t.TempDir(), "zdm.yaml")
	f.Settings.Inventory = out
	err := Run(&Options{F: f, NoPrompt: true, Answers: Answers{Proxies: "10.0.0.1", SSHUser: "u", SSHKey: "k", OriginContacts: "10.0.1.1"}})
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "Target contact points") {
		t.Fatalf("missing answer: %v", err)
	}
	err = Run(&Options{F: f, NoPrompt: true, Answers: Answers{Proxies: "10.0.0.1", SSHUser: "u", SSHKey: "k", OriginContacts: "10.0.1.1/9042", TargetContacts: "x"}})
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "origin_contact_points") {
		t.Fatalf("bad contact point: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("a file was written")
	}
	f.IO.In = strings.NewReader("10.0.0.1\n")
	if err := Run(&Options{F: f}); cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "end of input") {
		t.Fatalf("EOF: %v", err)
	}
}
