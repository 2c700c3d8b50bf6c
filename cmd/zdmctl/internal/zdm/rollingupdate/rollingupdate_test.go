package rollingupdate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/zdmcmd"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
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

// A run the fleet lock refuses (here: the lock host cannot be reached)
// changed nothing, so it must not save the change (it used to, before
// taking the lock).
func TestLockRefusalSavesNothing(t *testing.T) {
	o, saves := testOpts(t)
	o.F.Dial = func(transport.DialOptions) runner.DialFunc {
		return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
			return nil, &transport.UnreachableError{Host: h.Name, Err: os.ErrClosed}
		}
	}
	o.LogLevel = "WARN"
	err := Run(o)
	if cmdutil.ExitCode(err) != cmdutil.ExitFailed || !strings.Contains(err.Error(), "fleet lock") {
		t.Fatalf("got %v", err)
	}
	if *saves != 0 {
		t.Fatal("the inventory was saved though the lock was not taken")
	}
}

func TestSaveFollowsTheOutcome(t *testing.T) {
	for name, tc := range map[string]struct {
		out     map[string]zdmcmd.Outcome
		saved   bool
		journal bool
	}{
		"every proxy runs it":    {map[string]zdmcmd.Outcome{"p1": zdmcmd.OutcomeChanged, "p2": zdmcmd.OutcomeUnchanged, "p3": zdmcmd.OutcomeEarlier}, true, false},
		"first host rolled back": {map[string]zdmcmd.Outcome{"p1": zdmcmd.OutcomeRolledBack, "p2": zdmcmd.OutcomeUntouched, "p3": zdmcmd.OutcomeUntouched}, false, false},
		"stopped midway":         {map[string]zdmcmd.Outcome{"p1": zdmcmd.OutcomeChanged, "p2": zdmcmd.OutcomeDown, "p3": zdmcmd.OutcomeUntouched}, false, true},
		"--limit p1":             {map[string]zdmcmd.Outcome{"p1": zdmcmd.OutcomeChanged}, false, true},
	} {
		t.Run(name, func(t *testing.T) {
			o, saves := testOpts(t)
			ch := map[string]any{"log_level": "WARN"}
			env, err := zdmcmd.Load(o.F, ch)
			if err != nil {
				t.Fatal(err)
			}
			j := zdm.NewJournal(filepath.Join(t.TempDir(), "j.json"), "rolling-update", "", nil)
			j.Changes = ch
			ro := &zdmcmd.Rollout{Outcomes: tc.out}
			if err := o.save(env, ro, j, ch, nil); err != nil {
				t.Fatal(err)
			}
			if (*saves == 1) != tc.saved {
				t.Fatalf("saved %d times", *saves)
			}
			if _, err := os.Stat(j.Path()); (err == nil) != tc.journal {
				t.Fatalf("journal kept: %v", err)
			}
		})
	}
}
