// Package phase is `zdmctl phase`: which ZDM migration phase the live fleet
// is in, and the next command to run.
package phase

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/zdmcmd"
	"github.com/zdmctl/zdmctl/deploy/output"
	"github.com/zdmctl/zdmctl/deploy/zdm"
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
SSH); without one they are reported as SKIP (not checked). rolling-update
and teardown run the same checks before their step and refuse it (exit 3)
while one fails, unless --force --reason "why" (zdmctl history).

In phase 3, while any proxy's journal of missed writes (write_mode
DUAL_ASYNC_ON_SECONDARY) holds records, the next step is zdmctl reconcile
--apply, not the switch, and phase exits 1.

-o json writes the document every command writes: ok (exit 0), exit_code,
error, and under data the phase (number, name, detail, next), its checks
and go (no check fails).`,
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
	defer env.Close()
	ctx, _, stop := f.Contexts()
	defer stop()
	fs := env.Probe(ctx)
	ph := fs.Phase
	_, checks, err := env.Gates(ctx, fs) // ph.Next names the same step, with its context
	if err != nil {
		return cmdutil.UsageError(err)
	}
	blocked := journalBlocks(&ph, fs.Proxies)
	if f.Settings.JSON() {
		doc := output.Document{OK: blocked == nil, Data: Report{Phase: ph, Checks: checks, Go: goNoGo(checks)}}
		if blocked != nil {
			doc.ExitCode, doc.Error = cmdutil.ExitFailed, blocked.Error()
		}
		if err := output.WriteJSON(f.IO.Out, doc); err != nil {
			return err
		}
		if blocked != nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: blocked, Reported: true}
		}
		return nil
	}
	fmt.Fprintf(f.IO.Out, "phase: %s\n", ph.Name)
	if ph.Detail != "" {
		fmt.Fprintf(f.IO.Out, "       %s\n", ph.Detail)
	}
	fmt.Fprintf(f.IO.Out, "fleet: %s\n", fs.Summary)
	fmt.Fprintf(f.IO.Out, "next:  %s\n", ph.Next)
	printChecks(f.IO.Out, checks)
	if blocked != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: blocked}
	}
	return nil
}

// journalBlocks turns phase 3's next step (switch the primary to Target)
// into zdmctl reconcile while a proxy journal holds writes Target missed.
func journalBlocks(ph *zdm.Phase, ps []zdm.HostStatus) error {
	if ph.Number != 3 {
		return nil
	}
	var pending, repair int64
	var hosts []string
	for _, p := range ps {
		if j := p.Journal; j != nil && j.Pending+j.NeedsRepair > 0 {
			pending += j.Pending
			repair += j.NeedsRepair
			hosts = append(hosts, p.Host)
		}
	}
	if pending+repair == 0 {
		return nil
	}
	ph.Next = fmt.Sprintf("zdmctl reconcile --apply (journals on %s hold %d pending and %d needs-repair missed writes), then rolling-update --primary-cluster TARGET",
		strings.Join(hosts, ", "), pending, repair)
	return fmt.Errorf("the primary cannot move to Target yet: %d pending, %d needs-repair journaled writes; run zdmctl reconcile", pending, repair)
}
