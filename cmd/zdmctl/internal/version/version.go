// Package version is `zdmctl version`.
package version

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	buildversion "github.com/zdmctl/zdmctl/internal/version"
)

// NewCmdVersion builds `zdmctl version`.
func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the zdmctl version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			data := map[string]string{"version": buildversion.Version, "go": runtime.Version()}
			return f.ReportData(data, func() error {
				_, err := fmt.Fprintf(f.IO.Out, "zdmctl %s (%s)\n", buildversion.Version, runtime.Version())
				return err
			})
		},
	}
}
