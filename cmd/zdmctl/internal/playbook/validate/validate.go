// Package validate is `zdmctl playbook validate`.
package validate

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/playbooks"
)

// Options of `playbook validate`.
type Options struct {
	F        *cmdutil.Factory
	Playbook string
	// NoInventory skips checking the plays' host patterns against the
	// inventory.
	NoInventory bool
}

// NewCmdValidate builds the command; runF replaces Run in tests.
func NewCmdValidate(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "validate <file|name>",
		Short: "Check a playbook (keys, modules, arguments, expressions, templates) without running it",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Playbook = args[0]
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.NoInventory, "no-inventory", false, "do not check host patterns against the inventory")
	return cmd
}

// PlaySummary is one play as validate reports it.
type PlaySummary struct {
	Name  string   `json:"name"`
	Hosts []string `json:"hosts,omitempty"`
	Tasks int      `json:"tasks"`
}

// Run validates the playbook, and its host patterns against the inventory.
func Run(opts *Options) error {
	f := opts.F
	pb, err := playbooks.Find(opts.Playbook, f.Settings.PlaybookDir)
	if err != nil {
		return cmdutil.UsageError(err)
	}
	var inv cmdutil.Inventory
	if !opts.NoInventory {
		if inv, err = f.LoadInventory(f.Settings.Inventory); err != nil {
			return cmdutil.UsageError(fmt.Errorf("inventory: %w", err))
		}
	}
	var plays []PlaySummary
	for _, p := range pb.Plays {
		ps := PlaySummary{Name: p.Name, Tasks: len(p.Tasks)}
		if inv != nil {
			hs, err := inv.Select(p.Hosts)
			if err != nil {
				return cmdutil.UsageError(fmt.Errorf("%s:%d: play %q: hosts %q: %w", pb.Path, p.Line, p.Name, p.Hosts, err))
			}
			for _, h := range hs {
				ps.Hosts = append(ps.Hosts, h.Name)
			}
		}
		plays = append(plays, ps)
	}
	data := map[string]any{"playbook": pb.Path, "plays": plays}
	return f.ReportData(data, func() error {
		fmt.Fprintf(f.IO.Out, "%s: valid\n", pb.Path)
		for _, p := range plays {
			hosts := ""
			if inv != nil {
				hosts = fmt.Sprintf(", %d hosts", len(p.Hosts))
			}
			fmt.Fprintf(f.IO.Out, "  play %q: %d tasks%s\n", p.Name, p.Tasks, hosts)
		}
		return nil
	})
}
