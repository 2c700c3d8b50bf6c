package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/proxy/journal"
	"github.com/zdmctl/zdmctl/proxy/reconcile"
)

// fakeHost answers `zdm-proxy journal status|replay` like a proxy host
// whose journal holds pending records until a replay.
type fakeHost struct {
	transport.Conn
	name     string
	mu       *sync.Mutex
	pending  map[string]int64
	repair   int64
	failWith string
	cmds     *[]string
}

func (c *fakeHost) Host() string { return c.name }
func (c *fakeHost) Close() error { return nil }
func (c *fakeHost) Exec(_ context.Context, cmd string, o transport.ExecOptions) (transport.ExecResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	*c.cmds = append(*c.cmds, c.name+": "+cmd)
	if !o.Become || o.BecomeUser != "zdm" || !strings.HasPrefix(cmd, "/opt/zdm-proxy/current journal ") || !strings.Contains(cmd, "--config /etc/zdm-proxy/zdm-proxy.yaml -o json") {
		return transport.ExecResult{ExitCode: 2}, fmt.Errorf("unexpected command %q", cmd)
	}
	now := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
	var out map[string]any
	switch {
	case strings.Contains(cmd, "journal status"):
		rep := journal.Report{Dir: "/var/lib/zdm-proxy/journal", Tables: []journal.TableStats{}}
		for tbl, n := range c.pending {
			rep.Tables = append(rep.Tables, journal.TableStats{Cluster: "TARGET", Keyspace: "ks", Table: tbl, Pending: n, Oldest: now, Newest: now})
			rep.Pending += n
		}
		if c.repair > 0 {
			rep.Tables = append(rep.Tables, journal.TableStats{Cluster: "TARGET", Keyspace: "ks", Table: "counters", NeedsRepair: c.repair, Oldest: now, Newest: now})
			rep.NeedsRepair = c.repair
		}
		out = map[string]any{"command": "status", "status": rep}
	case strings.Contains(cmd, "journal replay --rate 50 "):
		var total int64
		for _, n := range c.pending {
			total += n
		}
		res := reconcile.Result{Pending: total}
		if c.failWith != "" {
			out = map[string]any{"command": "replay", "replay": res, "error": c.failWith}
			b, _ := json.Marshal(out)
			return transport.ExecResult{Stdout: b, ExitCode: 1}, nil
		}
		res.Replayed = total
		c.pending = map[string]int64{}
		out = map[string]any{"command": "replay", "replay": res}
	default:
		return transport.ExecResult{ExitCode: 2}, fmt.Errorf("unexpected command %q", cmd)
	}
	b, _ := json.Marshal(out)
	return transport.ExecResult{Stdout: b}, nil
}

func setup(t *testing.T, hosts map[string]*fakeHost) (*cmdutil.Factory, *strings.Builder, *[]string) {
	inv := cmdtest.NewInventory("p1", "p2")
	inv.Vars["origin_contact_points"] = "10.0.0.1"
	inv.Vars["target_contact_points"] = "10.0.0.2"
	f, out, _ := cmdtest.Factory(inv)
	var mu sync.Mutex
	cmds := &[]string{}
	f.Dial = func(transport.DialOptions) runner.DialFunc {
		return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
			c := hosts[h.Name]
			c.name, c.mu, c.cmds = h.Name, &mu, cmds
			return c, nil
		}
	}
	sb := &strings.Builder{}
	f.IO.Out = io.MultiWriter(out, sb)
	f.IO.ErrOut = io.Discard
	return f, sb, cmds
}

func TestReconcileShowsThenApplies(t *testing.T) {
	hosts := map[string]*fakeHost{
		"p1": {pending: map[string]int64{"users": 12, "orders": 3}},
		"p2": {pending: map[string]int64{}, repair: 2},
	}
	f, out, _ := setup(t, hosts)
	if err := Run(&Options{F: f}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"p1    TARGET     ks.users", "15 pending, 2 needs repair", "next: zdmctl reconcile --apply", "journal clear-repair --confirm"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	out.Reset()
	if err := Run(&Options{F: f, Apply: true, Rate: 50}); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "replayed 15 records; 0 pending, 2 needs repair") {
		t.Fatalf("apply output:\n%s", out)
	}
}

func TestReconcileJSONAndFailures(t *testing.T) {
	hosts := map[string]*fakeHost{
		"p1": {pending: map[string]int64{"users": 4}, failWith: "TARGET is not healthy, nothing replayed: connection refused"},
		"p2": {pending: map[string]int64{}},
	}
	f, out, _ := setup(t, hosts)
	f.Settings.Output = "json"
	err := Run(&Options{F: f, Apply: true, Rate: 50})
	if cmdutil.ExitCode(err) != cmdutil.ExitFailed {
		t.Fatalf("a failed replay must fail the command: %v", err)
	}
	var rep Report
	doc := cmdtest.DecodeDocument(t, out.String(), &rep)
	if doc.OK || doc.ExitCode != cmdutil.ExitFailed || !strings.Contains(doc.Error, "not replayed on p1") {
		t.Fatalf("envelope %+v\n%s", doc, out)
	}
	if rep.Pending != 4 || rep.Hosts[0].Error == "" || !strings.Contains(rep.Hosts[0].Error, "not healthy") {
		t.Fatalf("report %+v", rep)
	}
	if err := Run(&Options{F: f, Rate: -1}); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Fatalf("--rate -1: %v", err)
	}
}
