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
  primary switched to Target (4)    → point the application at Target, then teardown

Then the go/no-go checks before that next step, each with its live value
and PASS or FAIL (docs/migration.md): before --read-mode
DUAL_ASYNC_ON_SECONDARY every proxy ready with no drift and no client write
failed; before --primary-cluster TARGET also async reads compared, their
mismatch rate at most gate_max_mismatch_rate (0), no write failed on Target
and Target's p99 read latency within gate_target_latency_factor (2) times
Origin's; before teardown no client left on the proxies. Metric checks
cover gate_window (15m) and query the monitoring host's Prometheus (over
SSH); without one they are reported as not checked.`,
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
	vars, err := f.Vars() // --set, e.g. gate_window=1h
	if err != nil {
		return cmdutil.UsageError(fmt.Errorf("--set: %w", err))
	}
	env, err := zdmcmd.Load(f, vars)
	if err != nil {
		return err
	}
	ctx, _, stop := f.Contexts()
	defer stop()
	fs := env.Probe(ctx)
	ph := fs.Phase
	_, checks, err := env.Gates(ctx, fs) // ph.Next names the same step, with its context
	if err != nil {
		return cmdutil.UsageError(err)
	}
	if f.Settings.JSON() {
		return zdmcmd.WriteJSON(f.IO.Out, Report{Phase: ph, Checks: checks, Go: goNoGo(checks)})
	}
	fmt.Fprintf(f.IO.Out, "phase: %s\n", ph.Name)
	if ph.Detail != "" {
		fmt.Fprintf(f.IO.Out, "       %s\n", ph.Detail)
	}
	fmt.Fprintf(f.IO.Out, "fleet: %s\n", fs.Summary)
	fmt.Fprintf(f.IO.Out, "next:  %s\n", ph.Next)
	printChecks(f.IO.Out, checks)
	return nil
}
