package rollingrestart

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
)

func TestBadInputs(t *testing.T) {
	inv := cmdtest.NewInventory("p1")
	inv.Vars["origin_contact_points"] = "o"
	inv.Vars["target_contact_points"] = "t"
	f, _, _ := cmdtest.Factory(inv)
	f.Settings.Inventory = filepath.Join(t.TempDir(), "inv.yaml")
	if err := Run(&Options{F: f, Resume: true}); cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "nothing to resume") {
		t.Fatalf("--resume without journal: %v", err)
	}
	f.Settings.Limit = "nope"
	if err := Run(&Options{F: f}); cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "--limit nope") {
		t.Fatalf("--limit: %v", err)
	}
	delete(inv.Vars, "target_contact_points")
	f.Settings.Limit = ""
	if err := Run(&Options{F: f}); cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "target_contact_points is required") {
		t.Fatalf("missing target: %v", err)
	}
}
