// Package rollingupdate is `zdmctl rolling-update`: change proxy settings
// (saved into the inventory) and roll them out host by host, reloading when
// only live-reloadable settings changed.
package rollingupdate

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/zdmcmd"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

// Options of `rolling-update`.
type Options struct {
	F              *cmdutil.Factory
	ReadMode       string
	WriteMode      string
	PrimaryCluster string
	LogLevel       string
	ProxyBinary    string
	NoSave         bool
	Resume         bool
	Gate           zdmcmd.Gate
	Force          zdmcmd.Force
	// SaveVars writes vars into the inventory file (inventory.SetVars).
	SaveVars func(path string, vars map[string]any) error
}

// NewCmdRollingUpdate builds the command; runF replaces Run in tests.
func NewCmdRollingUpdate(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f, SaveVars: inventory.SetVars}
	cmd := &cobra.Command{
		Use:   "rolling-update",
		Short: "Change proxy settings and roll them out host by host",
		Long: `Change proxy settings and roll them out one host at a time.

The change (--read-mode, --write-mode, --primary-cluster, --log-level,
--set key=value) is saved into the inventory file's global vars once every
proxy runs it, under the fleet lock (a timestamped backup is kept, the last
10; --no-save skips this). A run refused by the lock or stopped on its
first host leaves the file byte for byte as it was; a run stopped midway
keeps the change in its journal, and status names the hosts that run it.
Host by host: the
config is rendered; when only live-reloadable settings changed (read_mode,
primary_cluster, write_mode, target_consistency_level, log_level,
proxy_request_timeout_ms, heartbeat_interval_ms, proxy_max_client_connections)
the proxy is reloaded (no connection dropped),
otherwise restarted; the host must be ready for --healthy-for and run the new
config hash before the next one starts.

A host that fails is rolled back to its previous binary and config and the
rollout stops, leaving the other hosts untouched; --resume continues from the
journal the failed run left. --check --diff shows each host's change.

--primary-cluster X is refused while any proxy's journal of missed writes
(write_mode DUAL_ASYNC_ON_SECONDARY) holds writes X missed: run zdmctl
reconcile --apply first (and repair the tables of needs-repair records).

Go/no-go gates: before --read-mode DUAL_ASYNC_ON_SECONDARY and before
--primary-cluster TARGET, the checks zdmctl phase shows before that step
run first, before any host is touched or anything saved: every proxy ready
with no drift (a proxy already running the change counts as without
drift), and from the monitoring host's Prometheus over gate_window (15m):
every proxy scraped, no client write failed (on either cluster before
dual reads; on Target before the switch), and before the switch async reads
compared, their mismatch rate at most gate_max_mismatch_rate (0) and
Target's p99 read latency within gate_target_latency_factor (2) times
Origin's. A failing check refuses the step (exit 3), naming each with its
live value and threshold; without a monitoring host the metric checks are
not checked (SKIP) and do not block. --force --reason "why" goes on anyway
and records the override, with the failing checks, in the journal of
actions (zdmctl history).`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.ReadMode, "read-mode", "", "PRIMARY_ONLY or DUAL_ASYNC_ON_SECONDARY")
	fl.StringVar(&opts.WriteMode, "write-mode", "", "DUAL_SYNC or DUAL_ASYNC_ON_SECONDARY (needs journal_dir, deployed by default)")
	fl.StringVar(&opts.PrimaryCluster, "primary-cluster", "", "ORIGIN or TARGET (refused while a proxy journal holds writes that cluster missed)")
	fl.StringVar(&opts.LogLevel, "log-level", "", "DEBUG, INFO, WARN or ERROR")
	fl.StringVar(&opts.ProxyBinary, "proxy-binary", "", "also install this zdm-proxy executable (restart)")
	fl.BoolVar(&opts.NoSave, "no-save", false, "do not save the change into the inventory file")
	fl.BoolVar(&opts.Resume, "resume", false, "continue the rollout a failed run left (its journal)")
	zdmcmd.AddGateFlags(cmd, &opts.Gate)
	zdmcmd.AddForceFlags(cmd, &opts.Force, "go on although go/no-go checks fail")
	return cmd
}

// Changes are the settings the flags ask for.
func (opts *Options) Changes() (map[string]any, error) {
	ch, err := opts.F.Vars()
	if err != nil {
		return nil, fmt.Errorf("--set: %w", err)
	}
	if ch == nil {
		ch = map[string]any{}
	}
	for k, v := range map[string]string{"read_mode": opts.ReadMode, "write_mode": opts.WriteMode, "primary_cluster": opts.PrimaryCluster, "log_level": opts.LogLevel} {
		if v != "" {
			ch[k] = strings.ToUpper(v)
		}
	}
	for k := range ch {
		if !zdm.IsProxyKey(k) {
			return nil, fmt.Errorf("--set %s: not a proxy setting zdmctl renders", k)
		}
	}
	return ch, nil
}

// Run rolls the change out.
func Run(opts *Options) error {
	f := opts.F
	s := f.Settings
	changes, err := opts.Changes()
	if err != nil {
		return cmdutil.UsageError(err)
	}
	if err := opts.Force.Validate(); err != nil {
		return err
	}
	jpath := zdm.JournalPath(s.Inventory)
	var journal *zdm.Journal
	if opts.Resume {
		journal, err = zdm.LoadJournal(jpath)
		if errors.Is(err, fs.ErrNotExist) {
			return cmdutil.UsageError(fmt.Errorf("--resume: no journal at %s (nothing to resume)", jpath))
		}
		if err != nil {
			return cmdutil.UsageError(err)
		}
		if len(journal.Changes) > 0 {
			if len(changes) > 0 {
				return cmdutil.UsageError(fmt.Errorf("--resume finishes the change the journal %s holds: give no other change with it", jpath))
			}
			changes = journal.Changes
		}
	}
	// Validate everything with the change applied before touching
	// anything; the change stays an override until the fleet runs it.
	env, err := zdmcmd.Load(f, changes)
	if err != nil {
		return err
	}
	defer env.Close()
	gates := StepGates(changes)
	if opts.Force.Force && len(gates) == 0 {
		return cmdutil.UsageError(fmt.Errorf("--force: %s has no go/no-go checks to override (only --read-mode DUAL_ASYNC_ON_SECONDARY and --primary-cluster TARGET have)", env.DescribeVars(changes)))
	}
	if pc, ok := changes["primary_cluster"].(string); ok {
		ctx, _, stop := f.Contexts()
		err := env.JournalGate(ctx, pc)
		stop()
		if err != nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: err}
		}
	}
	if len(gates) > 0 {
		ctx, _, stop := f.Contexts()
		_, err := env.EnforceGates(ctx, gates, opts.Force)
		stop()
		if err != nil {
			return err
		}
	}
	var bin *zdmcmd.Binary
	if opts.ProxyBinary != "" {
		if bin, err = zdmcmd.FindBinary(opts.ProxyBinary); err != nil {
			return cmdutil.UsageError(err)
		}
	}
	if journal != nil {
		fmt.Fprintf(f.IO.ErrOut, "resuming: done %s; failed before: %s\n", orNone(journal.Done), orNone([]string{journal.Failed}))
	} else {
		target := map[string]string{}
		for name, c := range env.Fleet.Configs {
			target[name] = c.SHA256()
		}
		journal = zdm.NewJournal(jpath, "rolling-update", "", target)
		journal.Changes = changes
	}
	ro := &zdmcmd.Rollout{
		Env:      env,
		Command:  "rolling-update",
		Playbook: "zdm-deploy",
		Gate:     opts.Gate,
		Binary:   bin,
		SkipTags: []string{"preflight"},
		Journal:  journal,
		Resume:   opts.Resume,
		Rollback: true,
		ShowPlan: true,
	}
	if len(changes) > 0 && !opts.NoSave && !s.Check {
		ro.After = func(err error) error { return opts.save(env, ro, journal, changes, err) }
	}
	return ro.Run()
}

// StepGates are the go/no-go gates of the migration steps changes take.
func StepGates(changes map[string]any) []zdmcmd.StepGate {
	var out []zdmcmd.StepGate
	upper := func(k string) string {
		if v, ok := changes[k]; ok {
			return strings.ToUpper(fmt.Sprint(v))
		}
		return ""
	}
	if v := upper("read_mode"); v == "DUAL_ASYNC_ON_SECONDARY" {
		out = append(out, zdmcmd.StepGate{Step: zdm.StepDualReads, Command: "rolling-update --read-mode DUAL_ASYNC_ON_SECONDARY", Key: "read_mode", Value: v})
	}
	if v := upper("primary_cluster"); v == "TARGET" {
		out = append(out, zdmcmd.StepGate{Step: zdm.StepPrimaryTarget, Command: "rolling-update --primary-cluster TARGET", Key: "primary_cluster", Value: v})
	}
	return out
}

// save writes the change into the inventory, under the fleet lock, when
// every proxy now runs it; otherwise the inventory stays as it was and the
// journal keeps the change (status names the hosts that run it).
func (opts *Options) save(env *zdmcmd.Env, ro *zdmcmd.Rollout, journal *zdm.Journal, changes map[string]any, runErr error) error {
	w := opts.F.IO.ErrOut
	if ro.Outcomes == nil {
		fmt.Fprintf(w, "%s not saved into %s: the rollout did not start\n", env.DescribeVars(changes), env.Path)
		return runErr
	}
	hosts, all := env.RunsChange(ro.Outcomes)
	switch {
	case all:
		if err := opts.SaveVars(env.Path, changes); err != nil {
			err = fmt.Errorf("every proxy runs %s, but saving it into %s failed: %w", env.DescribeVars(changes), env.Path, err)
			if runErr != nil {
				return runErr
			}
			return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: err}
		}
		fmt.Fprintf(w, "saved %s into %s (every proxy runs it)\n", env.DescribeVars(changes), env.Path)
		_ = journal.Remove()
	case len(hosts) == 0:
		fmt.Fprintf(w, "%s not saved into %s: no proxy runs it (the inventory is unchanged)\n", env.DescribeVars(changes), env.Path)
	default:
		// A --limit run removed its finished journal: keep it, it is
		// what status explains the difference with.
		if err := journal.Save(); err != nil {
			fmt.Fprintf(w, "warning: %v\n", err)
		}
		fmt.Fprintf(w, "%s not saved into %s yet: only %s run it; finish with zdmctl -i %s rolling-update --resume\n",
			env.DescribeVars(changes), env.Path, strings.Join(hosts, ", "), env.Path)
	}
	return runErr
}

func orNone(l []string) string {
	var out []string
	for _, s := range l {
		if s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}
