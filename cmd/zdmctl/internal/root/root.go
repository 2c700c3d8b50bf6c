// Package root assembles the zdmctl command tree and runs it.
package root

import (
	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	invcmd "github.com/zdmctl/zdmctl/cmd/zdmctl/internal/inventory"
	pbcmd "github.com/zdmctl/zdmctl/cmd/zdmctl/internal/playbook"
	versioncmd "github.com/zdmctl/zdmctl/cmd/zdmctl/internal/version"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/clientconfig"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/deploy"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/history"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/initcmd"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/logs"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/phase"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/reconcile"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/rollingrestart"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/rollingupdate"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/status"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/teardown"
)

const exitCodes = `Exit codes:
  0    success
  1    a task failed, a host was unreachable, or a rollout stopped
  2    usage or configuration error (flags, inventory, playbook)
  3    a go/no-go check refused rolling-update or teardown; nothing changed
       (zdmctl phase shows the checks; --force --reason "why" overrides)
  4    SSH authentication or host-key verification failed
  130  interrupted (Ctrl-C: running tasks finish, nothing new starts;
       a second Ctrl-C aborts running tasks)

Settings resolve: flag > environment ZDMCTL_<FLAG> (e.g. ZDMCTL_INVENTORY,
ZDMCTL_PLAYBOOK_DIR) > config file ~/.config/zdmctl/config.yaml > default.`

// NewCmdRoot builds the command tree on f.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:           "zdmctl <command>",
		Short:         "Deploy and operate a ZDM proxy fleet over SSH",
		Long:          "zdmctl deploys and operates a fleet of ZDM proxies over SSH from a YAML inventory and declarative playbooks.\n\n" + exitCodes,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.Resolve(cmd, f.Settings); err != nil {
				return cmdutil.UsageError(err)
			}
			return nil
		},
	})
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdutil.UsageError(err) })
	cmdutil.AddGlobalFlags(cmd)
	cmd.AddCommand(pbcmd.NewCmdPlaybook(f))
	cmd.AddCommand(invcmd.NewCmdInventory(f))
	cmd.AddCommand(versioncmd.NewCmdVersion(f))
	cmd.AddCommand(initcmd.NewCmdInit(f, nil))
	cmd.AddCommand(deploy.NewCmdDeploy(f, nil))
	cmd.AddCommand(rollingupdate.NewCmdRollingUpdate(f, nil))
	cmd.AddCommand(rollingrestart.NewCmdRollingRestart(f, nil))
	cmd.AddCommand(status.NewCmdStatus(f, nil))
	cmd.AddCommand(phase.NewCmdPhase(f, nil))
	cmd.AddCommand(reconcile.NewCmdReconcile(f, nil))
	cmd.AddCommand(teardown.NewCmdTeardown(f, nil))
	cmd.AddCommand(history.NewCmdHistory(f, nil))
	cmd.AddCommand(logs.NewCmdLogs(f, nil))
	cmd.AddCommand(clientconfig.NewCmdClientConfig(f, nil))
	addCompletions(cmd)
	return cmd
}

// Main runs zdmctl with args and returns the exit code.
func Main(f *cmdutil.Factory, args []string) int {
	cmd := NewCmdRoot(f)
	cmd.SetArgs(args)
	cmd.SetIn(f.IO.In)
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	err := cmd.Execute()
	jsonMode := f.Settings.JSON() || (f.Settings.Output == "" && cmdutil.WantsJSON(args))
	return cmdutil.ReportError(f.IO, jsonMode, err)
}
