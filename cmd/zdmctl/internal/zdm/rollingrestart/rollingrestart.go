// Package rollingrestart is `zdmctl rolling-restart`: restart the proxies
// one by one behind the same health gate as rolling-update.
package rollingrestart

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/zdmcmd"
	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// Options of `rolling-restart`.
type Options struct {
	F      *cmdutil.Factory
	Resume bool
	Gate   zdmcmd.Gate
}

// NewCmdRollingRestart builds the command; runF replaces Run in tests.
func NewCmdRollingRestart(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "rolling-restart",
		Short: "Restart the proxies one by one, health-gated",
		Long: `Restart the proxies one host at a time: each must answer /health/readiness
200, have a client back when it had any, have run for rollout.healthy_for
(--healthy-for) since its process started, ready and not restarted by
systemd since readiness (a crash loop), and the fleet must have back the client connections it had
before the rollout (rollout.reconnect, bounded by rollout.reconnect_timeout)
before the next one restarts. The rollout
stops at the first host that fails; --resume continues from its journal.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Resume, "resume", false, "continue the rollout a failed run left (its journal)")
	zdmcmd.AddGateFlags(cmd, &opts.Gate)
	return cmd
}

// Run restarts.
func Run(opts *Options) error {
	f := opts.F
	vars, err := f.Vars()
	if err != nil {
		return cmdutil.UsageError(fmt.Errorf("--set: %w", err))
	}
	env, err := zdmcmd.Load(f, vars)
	if err != nil {
		return err
	}
	defer env.Close()
	jpath := zdm.JournalPath(env.Path)
	var journal *zdm.Journal
	if opts.Resume {
		journal, err = zdm.LoadJournal(jpath)
		if errors.Is(err, fs.ErrNotExist) {
			return cmdutil.UsageError(fmt.Errorf("--resume: no journal at %s (nothing to resume)", jpath))
		}
		if err != nil {
			return cmdutil.UsageError(err)
		}
	} else {
		journal = zdm.NewJournal(jpath, "rolling-restart", "", nil)
	}
	ro := &zdmcmd.Rollout{
		Env:      env,
		Command:  "rolling-restart",
		Playbook: "zdm-restart",
		Gate:     opts.Gate,
		Journal:  journal,
		Resume:   opts.Resume,
	}
	return ro.Run()
}
