package phase

import (
	"context"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
)

// bareHost answers the status probe like a host without the proxy.
type bareHost struct {
	transport.Conn
	name string
}

func (c bareHost) Host() string { return c.name }
func (c bareHost) Close() error { return nil }
func (c bareHost) Exec(context.Context, string, transport.ExecOptions) (transport.ExecResult, error) {
	return transport.ExecResult{Stdout: []byte("installed=no\nservice=inactive\ndisk_sha=\nbinary=\nreadiness=\nstatus=\n")}, nil
}

func TestNotDeployed(t *testing.T) {
	inv := cmdtest.NewInventory("p1", "p2")
	inv.Vars["origin_contact_points"] = "o"
	inv.Vars["target_contact_points"] = "t"
	f, out, _ := cmdtest.Factory(inv)
	f.Dial = func(transport.DialOptions) runner.DialFunc {
		return func(_ context.Context, h *inventory.Host) (transport.Conn, error) { return bareHost{name: h.Name}, nil }
	}
	if err := Run(&Options{F: f}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "phase: not deployed") || !strings.Contains(out.String(), "next:  zdmctl deploy") || !strings.Contains(out.String(), "0/2 ready") {
		t.Fatalf("%s", out)
	}
	out.Reset()
	f.Settings.Output = "json"
	if err := Run(&Options{F: f}); err != nil {
		t.Fatal(err)
	}
	var ph Report
	doc := cmdtest.DecodeDocument(t, out.String(), &ph)
	if !doc.OK || doc.ExitCode != 0 || doc.Error != "" || ph.Number != 0 || ph.Next != "zdmctl deploy" || !ph.Go {
		t.Fatalf("%+v %+v\n%s", doc, ph, out)
	}
}
