package list

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
)

func TestList(t *testing.T) {
	f, out, _ := cmdtest.Factory(nil)
	if err := Run(&Options{F: f}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ping") || !strings.Contains(out.String(), "builtin") {
		t.Fatalf("%s", out)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ping.yaml"), []byte("# my ping\n- hosts: all\n  tasks: [{shell: x}]\n"), 0o644)
	f, out, _ = cmdtest.Factory(nil)
	f.Settings.PlaybookDir = dir
	f.Settings.Output = "json"
	if err := Run(&Options{F: f}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Data []struct{ Name, Source, Description string } `json:"data"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.Data[0].Description != "my ping" {
		t.Fatalf("%v %s", err, out)
	}
}
