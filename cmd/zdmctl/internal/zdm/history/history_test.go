package history

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/deploy/zdm"
)

func TestHistoryShowsOverrides(t *testing.T) {
	f, out, _ := cmdtest.Factory(cmdtest.NewInventory("p1"))
	f.Settings.Inventory = filepath.Join(t.TempDir(), "inv.yaml")
	if err := Run(&Options{F: f}); err != nil || !strings.Contains(out.String(), "no actions recorded") {
		t.Fatalf("%v\n%s", err, out)
	}
	p := zdm.ActionsPath(f.Settings.Inventory)
	if err := zdm.RecordAction(p, zdm.Action{By: "ann@ws", Command: "rolling-update --primary-cluster TARGET", Action: zdm.ActionForceGate, Reason: "known\nclock skew",
		Checks: []zdm.Check{{Name: "async read mismatch rate over 15m", Value: "0.25", Want: "<= 0"}}}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := Run(&Options{F: f}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ann@ws  force", "rolling-update --primary-cluster TARGET  known clock skew", "FAIL  async read mismatch rate over 15m = 0.25 (want <= 0)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	out.Reset()
	f.Settings.Output = "json"
	if err := Run(&Options{F: f}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OK   bool         `json:"ok"`
		Data []zdm.Action `json:"data"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || !doc.OK || len(doc.Data) != 1 || doc.Data[0].Checks[0].Value != "0.25" {
		t.Fatalf("%v %+v\n%s", err, doc, out)
	}
}
