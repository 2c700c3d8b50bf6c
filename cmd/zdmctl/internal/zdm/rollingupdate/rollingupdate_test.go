package rollingupdate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
)

// testOpts has an inventory of three proxies whose connections always
// fail: nothing here may reach a host.
func testOpts(t *testing.T) (*Options, *int) {
	inv := cmdtest.NewInventory("p1", "p2", "p3")
	inv.Vars["origin_contact_points"] = "10.0.0.1"
	inv.Vars["target_contact_points"] = "10.0.0.2"
	f, _, _ := cmdtest.Factory(inv)
	f.Settings.Inventory = filepath.Join(t.TempDir(), "inv.yaml")
	f.Dial = func(transport.DialOptions) runner.DialFunc {
		return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
			t.Errorf("dialed %s", h.Name)
			return nil, &transport.UnreachableError{Host: h.Name, Err: os.ErrClosed}
		}
	}
	saves := 0
	return &Options{F: f, SaveVars: func(string, map[string]any) error { saves++; return nil }}, &saves
}

func TestBadInputsChangeNothing(t *testing.T) {
	for name, tc := range map[string]struct {
		mod  func(o *Options)
		want string
	}{
		"read_mode typo":    {func(o *Options) { o.ReadMode = "DUAL_ASYNC" }, `var read_mode: "DUAL_ASYNC": allowed PRIMARY_ONLY, DUAL_ASYNC_ON_SECONDARY`},
		"primary typo":      {func(o *Options) { o.PrimaryCluster = "TARGT" }, "allowed ORIGIN, TARGET"},
		"unknown --set key": {func(o *Options) { o.F.Settings.Set = []string{"read_mod=X"} }, "--set read_mod: not a proxy setting"},
		"unknown --limit":   {func(o *Options) { o.ReadMode = "PRIMARY_ONLY"; o.F.Settings.Limit = "p9" }, `--limit p9`},
		"resume no journal": {func(o *Options) { o.Resume = true }, "--resume: no journal at"},
		"missing binary":    {func(o *Options) { o.ProxyBinary = "/nonexistent/zdm-proxy" }, "/nonexistent/zdm-proxy"},
	} {
		t.Run(name, func(t *testing.T) {
			o, saves := testOpts(t)
			tc.mod(o)
			err := Run(o)
			if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want a one-line usage error with %q", err, tc.want)
			}
			if *saves != 0 {
				t.Fatal("the inventory was saved")
			}
		})
	}
}

func TestChangesFromFlags(t *testing.T) {
	o, _ := testOpts(t)
	o.ReadMode = "dual_async_on_secondary"
	o.LogLevel = "debug"
	o.F.Settings.Set = []string{"proxy_max_stream_ids=1024"}
	ch, err := o.Changes()
	if err != nil {
		t.Fatal(err)
	}
	if ch["read_mode"] != "DUAL_ASYNC_ON_SECONDARY" || ch["log_level"] != "DEBUG" || ch["proxy_max_stream_ids"] != 1024 || len(ch) != 3 {
		t.Fatalf("%v", ch)
	}
}
