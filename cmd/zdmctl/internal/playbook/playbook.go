// Package playbook is `zdmctl playbook`: run and list playbooks.
package playbook

import (
	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/playbook/list"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/playbook/run"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/playbook/validate"
)

// NewCmdPlaybook builds `zdmctl playbook`.
func NewCmdPlaybook(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:   "playbook <command>",
		Short: "Run, validate or list playbooks",
	})
	cmd.AddCommand(run.NewCmdRun(f, nil))
	cmd.AddCommand(list.NewCmdList(f, nil))
	cmd.AddCommand(validate.NewCmdValidate(f, nil))
	return cmd
}
