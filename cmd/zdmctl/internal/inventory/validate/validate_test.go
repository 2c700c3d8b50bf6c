package validate

import (
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
)

func TestValidate(t *testing.T) {
	f, out, _ := cmdtest.Factory(cmdtest.NewInventory("a", "b"))
	if err := Run(&Options{F: f}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "valid (2 hosts, 1 groups)") {
		t.Fatalf("%s", out)
	}
	f, _, _ = cmdtest.Factory(nil)
	err := Run(&Options{F: f})
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "inv.yaml:3") {
		t.Fatalf("err %v", err)
	}
}
