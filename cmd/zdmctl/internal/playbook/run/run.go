// Package run is `zdmctl playbook run`.
package run

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/output"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/playbooks"
)

// Options of `playbook run`.
type Options struct {
	F        *cmdutil.Factory
	Playbook string // file path, or the name of a built-in / override
	Tags     []string
	SkipTags []string
}

// NewCmdRun builds the command; runF replaces Run in tests.
func NewCmdRun(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "run <file|name>",
		Short: "Run a playbook file, or a built-in playbook by name",
		Long: `Run a playbook against the inventory's hosts.

Hosts run in parallel (--forks); plays with serial roll out batch by batch
and stop when a batch's failures exceed max_fail_percentage. Everything is
validated (keys, modules, arguments, expressions, templates) before any
host is contacted.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Playbook = args[0]
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().StringSliceVar(&opts.Tags, "tags", nil, "only run tasks with these tags")
	cmd.Flags().StringSliceVar(&opts.SkipTags, "skip-tags", nil, "skip tasks with these tags")
	return cmd
}

// Run runs the playbook and reports the result.
func Run(opts *Options) error {
	f := opts.F
	s := f.Settings
	pb, err := playbooks.Find(opts.Playbook, s.PlaybookDir)
	if err != nil {
		return cmdutil.UsageError(err)
	}
	inv, err := f.LoadInventory(s.Inventory)
	if err != nil {
		return cmdutil.UsageError(fmt.Errorf("inventory: %w", err))
	}
	vars, err := f.Vars()
	if err != nil {
		return cmdutil.UsageError(fmt.Errorf("--set: %w", err))
	}
	prog := &output.Progress{Err: f.IO.ErrOut, Verbose: s.Verbose}
	if !s.JSON() {
		prog.Diff = f.IO.Out
	}
	runCtx, taskCtx, stop := f.Contexts()
	defer stop()
	res, err := runner.Run(runCtx, runner.RunOptions{
		Inventory:   inv,
		Playbook:    pb,
		Vars:        vars,
		Limit:       s.Limit,
		Tags:        opts.Tags,
		SkipTags:    opts.SkipTags,
		Check:       s.Check,
		Diff:        s.Diff,
		Forks:       s.Forks,
		Dial:        f.Dial(f.DialOptions()),
		Observer:    prog,
		TaskContext: taskCtx,
	})
	if res == nil {
		// Nothing ran: a pattern or var problem.
		return cmdutil.UsageError(err)
	}
	return Report(f, res, err)
}

// Report prints the recap (or writes the JSON document) and returns the
// exit error matching res. Commands built on the runner reuse it.
func Report(f *cmdutil.Factory, res *runner.Result, runErr error) error {
	code := res.ExitCode()
	if f.Settings.JSON() {
		doc := output.Document{OK: code == 0, ExitCode: code, Result: res}
		if runErr != nil && !errors.Is(runErr, runner.ErrStopped) {
			doc.Error = runErr.Error()
		} else if res.Stopped != "" {
			doc.Error = res.Stopped
		}
		if err := output.WriteJSON(f.IO.Out, doc); err != nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: err}
		}
	} else {
		output.Recap(f.IO.Out, res)
	}
	if code == 0 {
		return nil
	}
	return &cmdutil.ExitError{Code: code, Err: fmt.Errorf("playbook %s: exit %d", res.Playbook, code), Reported: true}
}
