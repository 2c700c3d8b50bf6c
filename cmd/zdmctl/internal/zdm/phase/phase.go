// Package phase is `zdmctl phase`: which ZDM migration phase the live fleet
// is in, and the next command to run.
package phase

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/zdmcmd"
)

// Options of `phase`.
type Options struct {
	F *cmdutil.Factory
}

// NewCmdPhase builds the command; runF replaces Run in tests.
func NewCmdPhase(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	return &cobra.Command{
		Use:   "phase",
		Short: "Tell which ZDM migration phase the fleet is in and what to run next",
		Long: `Read the live fleet and name the migration phase:
  not deployed                      → zdmctl deploy
  proxies deployed (phase 1)        → migrate data, then rolling-update --read-mode DUAL_ASYNC_ON_SECONDARY
  dual reads on (phase 3)           → rolling-update --primary-cluster TARGET
  primary switched to Target (4)    → point the application at Target, then teardown`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
}

// Run prints the phase.
func Run(opts *Options) error {
	f := opts.F
	env, err := zdmcmd.Load(f, nil)
	if err != nil {
		return err
	}
	ctx, _, stop := f.Contexts()
	defer stop()
	fs := env.Probe(ctx)
	ph := fs.Phase
	if f.Settings.JSON() {
		return zdmcmd.WriteJSON(f.IO.Out, ph)
	}
	fmt.Fprintf(f.IO.Out, "phase: %s\n", ph.Name)
	if ph.Detail != "" {
		fmt.Fprintf(f.IO.Out, "       %s\n", ph.Detail)
	}
	fmt.Fprintf(f.IO.Out, "fleet: %s\n", fs.Summary)
	fmt.Fprintf(f.IO.Out, "next:  %s\n", ph.Next)
	return nil
}
