// Package inventory is `zdmctl inventory`: validate and show.
package inventory

import (
	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/inventory/show"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/inventory/validate"
)

// NewCmdInventory builds `zdmctl inventory`.
func NewCmdInventory(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:   "inventory <command>",
		Short: "Check and inspect the inventory",
	})
	cmd.AddCommand(validate.NewCmdValidate(f, nil))
	cmd.AddCommand(show.NewCmdShow(f, nil))
	return cmd
}
