package show

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
)

func TestShowRedactsSecrets(t *testing.T) {
	inv := cmdtest.NewInventory("a", "b")
	inv.Vars["cluster"] = "origin"
	inv.Host("a").Vars["origin_password"] = "hunter2"
	f, out, _ := cmdtest.Factory(inv)
	f.Settings.Set = []string{"cluster=target"}
	if err := Run(&Options{F: f, Host: "a"}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if strings.Contains(s, "hunter2") || !strings.Contains(s, "origin_password: '********'") || !strings.Contains(s, "cluster: target") || strings.Contains(s, "name: b") {
		t.Fatalf("show:\n%s", s)
	}
	f, out, _ = cmdtest.Factory(inv)
	f.Settings.Output = "json"
	if err := Run(&Options{F: f}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Data struct {
			Hosts []HostView `json:"hosts"`
		} `json:"data"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || len(doc.Data.Hosts) != 2 || strings.Contains(out.String(), "hunter2") {
		t.Fatalf("%v %s", err, out)
	}
	f, _, _ = cmdtest.Factory(inv)
	if err := Run(&Options{F: f, Host: "zzz"}); cmdutil.ExitCode(err) != 2 {
		t.Fatalf("unknown host: %v", err)
	}
}
