package zdmcmd

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// A host that runs a change an unfinished rolling-update did not save
// differs from the inventory: status must say why, and how to finish.
func TestStatusExplainsAnUnsavedChange(t *testing.T) {
	inv := cmdtest.NewInventory("p1", "p2", "p3")
	inv.Vars["origin_contact_points"] = "10.0.0.1"
	inv.Vars["target_contact_points"] = "10.0.0.2"
	f, _, _ := cmdtest.Factory(inv)
	f.Settings.Inventory = filepath.Join(t.TempDir(), "inv.yaml")
	e, err := Load(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	j := zdm.NewJournal(zdm.JournalPath(e.Path), "rolling-update", "r1", nil)
	j.Changes = map[string]any{"log_level": "WARN", "origin_password": "s3cret"}
	j.Done = []string{"p1"}
	j.Failed = "p2"
	if err := j.Save(); err != nil {
		t.Fatal(err)
	}
	fs := &FleetStatus{Proxies: []zdm.HostStatus{
		{Host: "p1", Installed: true, Drift: true, DriftWhy: "running config differs from the inventory"},
		{Host: "p2", Installed: true},
		{Host: "p3", Installed: true},
	}}
	e.explainUnsaved(fs)
	if !strings.Contains(fs.Proxies[0].DriftWhy, "it runs log_level=WARN, origin_password=") || strings.Contains(fs.Proxies[0].DriftWhy, "s3cret") {
		t.Errorf("p1: %s", fs.Proxies[0].DriftWhy)
	}
	if fs.Proxies[1].DriftWhy != "" {
		t.Errorf("p2: %s", fs.Proxies[1].DriftWhy)
	}
	if !strings.HasPrefix(fs.Unsaved, "p1 run log_level=WARN") || !strings.Contains(fs.Unsaved, "rolling-update --resume") {
		t.Errorf("unsaved: %s", fs.Unsaved)
	}
	// Back in line with the inventory (a deploy since): nothing to explain.
	fs.Proxies[0] = zdm.HostStatus{Host: "p1", Installed: true}
	fs.Unsaved = ""
	e.explainUnsaved(fs)
	if fs.Unsaved != "" || fs.Proxies[0].DriftWhy != "" {
		t.Errorf("explains a host that does not differ: %q %q", fs.Unsaved, fs.Proxies[0].DriftWhy)
	}
}
