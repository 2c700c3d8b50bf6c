// Package history is `zdmctl history`: the fleet's journal of actions
// (overridden go/no-go gates, broken fleet locks), oldest first.
package history

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// Options of `history`.
type Options struct {
	F *cmdutil.Factory
}

// NewCmdHistory builds the command; runF replaces Run in tests.
func NewCmdHistory(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	return &cobra.Command{
		Use:   "history",
		Short: "Show the fleet's journal of actions (forced gates, broken locks)",
		Long: `Show the journal of actions of the inventory's fleet, oldest first: each
--force --reason that overrode a go/no-go gate (rolling-update, teardown),
with who ran it (user@host), the reason and the failing checks with their
live values, and each --break-lock. The journal is
.zdmctl/actions-<inventory name>.jsonl beside the inventory, one JSON
object a line, only ever appended to. Nothing is contacted.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
}

// Run prints the journal of actions.
func Run(opts *Options) error {
	f := opts.F
	if f.Settings.Inventory == "" {
		return cmdutil.UsageError(fmt.Errorf("no inventory: give -i FILE"))
	}
	path := zdm.ActionsPath(f.Settings.Inventory)
	acts, err := zdm.ReadActions(path)
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: err}
	}
	if acts == nil {
		acts = []zdm.Action{}
	}
	return f.ReportData(acts, func() error {
		w := f.IO.Out
		if len(acts) == 0 {
			fmt.Fprintf(w, "no actions recorded (%s)\n", path)
			return nil
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tBY\tACTION\tCOMMAND\tREASON / DETAIL")
		for _, a := range acts {
			why := a.Reason
			if why == "" {
				why = a.Detail
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Time.UTC().Format("2006-01-02 15:04:05Z"), a.By, a.Action, a.Command, oneLine(why))
		}
		tw.Flush()
		for _, a := range acts {
			if len(a.Checks) == 0 {
				continue
			}
			fmt.Fprintf(w, "%s %s overrode:\n", a.Time.UTC().Format("2006-01-02 15:04:05Z"), a.Command)
			for _, c := range a.Checks {
				fmt.Fprintf(w, "  FAIL  %s = %s (want %s)\n", c.Name, c.Value, c.Want)
			}
		}
		return nil
	})
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
