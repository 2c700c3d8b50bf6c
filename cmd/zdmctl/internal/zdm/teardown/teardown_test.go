package teardown

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
)

func TestNeedsConfirmation(t *testing.T) {
	for _, answer := range []string{"", "n\n", "no\n", "maybe\n"} {
		inv := cmdtest.NewInventory("p1")
		inv.Vars["origin_contact_points"] = "o"
		inv.Vars["target_contact_points"] = "t"
		f, _, errOut := cmdtest.Factory(inv)
		f.IO.In = strings.NewReader(answer)
		f.Dial = func(transport.DialOptions) runner.DialFunc {
			return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
				t.Errorf("dialed %s after answer %q", h.Name, answer)
				return nil, os.ErrClosed
			}
		}
		err := Run(&Options{F: f})
		if cmdutil.ExitCode(err) != cmdutil.ExitFailed || !strings.Contains(err.Error(), "cancelled") {
			t.Fatalf("answer %q: %v", answer, err)
		}
		if !strings.Contains(errOut.String(), "p1") {
			t.Errorf("prompt does not name the hosts: %s", errOut)
		}
	}
}
