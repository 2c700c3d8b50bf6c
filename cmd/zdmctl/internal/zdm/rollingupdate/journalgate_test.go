package rollingupdate

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/proxy/journal"
)

// journalHost answers only `zdm-proxy journal status` with its records.
type journalHost struct {
	transport.Conn
	name    string
	pending int64
}

func (c journalHost) Host() string { return c.name }
func (c journalHost) Close() error { return nil }
func (c journalHost) Exec(_ context.Context, cmd string, _ transport.ExecOptions) (transport.ExecResult, error) {
	if !strings.Contains(cmd, "journal status") {
		return transport.ExecResult{ExitCode: 1}, nil
	}
	rep := journal.Report{Tables: []journal.TableStats{}}
	if c.pending > 0 {
		rep.Tables = append(rep.Tables, journal.TableStats{Cluster: "TARGET", Keyspace: "ks", Table: "t", Pending: c.pending})
		rep.Pending = c.pending
	}
	b, _ := json.Marshal(map[string]any{"status": rep})
	return transport.ExecResult{Stdout: b}, nil
}

func TestPrimarySwitchRefusedWhileTargetMissedWrites(t *testing.T) {
	o, saves := testOpts(t)
	o.F.Dial = func(transport.DialOptions) runner.DialFunc {
		return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
			jh := journalHost{name: h.Name}
			if h.Name == "p2" {
				jh.pending = 7
			}
			return jh, nil
		}
	}
	o.PrimaryCluster = "target"
	err := Run(o)
	if cmdutil.ExitCode(err) != cmdutil.ExitFailed || !strings.Contains(err.Error(), "it missed 7 writes still in the journal on p2") ||
		!strings.Contains(err.Error(), "zdmctl reconcile --apply") {
		t.Fatalf("got %v", err)
	}
	if *saves != 0 {
		t.Fatal("the inventory was saved although the switch was refused")
	}
}
