// Package list is `zdmctl playbook list`.
package list

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/playbooks"
)

// Options of `playbook list`.
type Options struct {
	F *cmdutil.Factory
}

// NewCmdList builds the command; runF replaces run in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	return &cobra.Command{
		Use:   "list",
		Short: "List the built-in playbooks (and overrides from --playbook-dir)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
}

// Run lists playbooks.
func Run(opts *Options) error {
	f := opts.F
	entries, err := playbooks.List(f.Settings.PlaybookDir)
	if err != nil {
		return cmdutil.UsageError(err)
	}
	return f.ReportData(entries, func() error {
		tw := tabwriter.NewWriter(f.IO.Out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSOURCE\tDESCRIPTION")
		for _, e := range entries {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name, e.Source, e.Description)
		}
		return tw.Flush()
	})
}
