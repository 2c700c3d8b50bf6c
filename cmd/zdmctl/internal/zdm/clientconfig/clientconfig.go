// Package clientconfig is `zdmctl client-config`: from the inventory, where
// the application's driver connects and the driver settings that keep a
// rollout (restarts, upgrades, reloads) from failing its requests.
package clientconfig

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// Options of `client-config`.
type Options struct {
	F *cmdutil.Factory
	// Driver is gocql, java, python or all.
	Driver string
}

// NewCmdClientConfig builds the command; runF replaces Run in tests.
func NewCmdClientConfig(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f, Driver: "all"}
	cmd := &cobra.Command{
		Use:   "client-config",
		Short: "Print the contact points and the driver settings that make rollouts lossless",
		Long: `Print, from the inventory (no host is contacted), what the application's
driver needs to use the proxies: the contact points (every proxy's address
and proxy_listen_port), the local datacenter, and per driver (gocql v2, the
Java driver 4, the Python driver) the settings with which a rolling restart,
an upgrade or a reload fails no request: a retry policy, statements marked
idempotent, bind markers (gocql), client-side timestamps, speculative
execution only for idempotent statements. For each driver, one line says
what a rollout can still fail without them and where in the driver's
source that happens (proxy/OPERATIONS.md, "Why 0 without retries is out of
the proxy's reach").`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Driver, "driver", "all", "GOCQL, JAVA, PYTHON or ALL (lowercase accepted)")
	return cmd
}

// Run prints the advice.
func Run(opts *Options) error {
	f := opts.F
	driver := strings.ToLower(opts.Driver)
	if driver != "all" && !slices.Contains(Drivers, driver) {
		return cmdutil.UsageError(fmt.Errorf("--driver %q: want gocql, java, python or all", opts.Driver))
	}
	vars, err := f.Vars()
	if err != nil {
		return cmdutil.UsageError(fmt.Errorf("--set: %w", err))
	}
	// Only the inventory: no SSH key or host is needed to print advice.
	inv, err := f.LoadInventory(f.Settings.Inventory)
	if err != nil {
		return cmdutil.UsageError(fmt.Errorf("inventory: %w", err))
	}
	fleet, err := zdm.Plan(inv, vars)
	if err != nil {
		return cmdutil.UsageError(zdm.InventoryError(f.Settings.Inventory, err))
	}
	r := Build(fleet, driver)
	return f.ReportData(r, func() error { return printText(f.IO.Out, r) })
}

func printText(w io.Writer, r Report) error {
	fmt.Fprintln(w, "contact points (every proxy, port proxy_listen_port):")
	for _, c := range r.ContactPoints {
		fmt.Fprintf(w, "  %-16s %s\n", c.Host, c)
	}
	fmt.Fprintf(w, "local datacenter: %s\n", r.LocalDatacenterAdvice)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
	for _, d := range r.Drivers {
		fmt.Fprintf(w, "\n%s (read in the source of %s):\n", d.Driver, d.Checked)
		for _, s := range d.Settings {
			fmt.Fprintf(w, "  %s\n", s.Code)
			fmt.Fprintf(w, "      # %s\n", s.Why)
		}
		fmt.Fprintf(w, "  without them: %s\n", d.Without)
		fmt.Fprintf(w, "      source: %s\n", d.Source)
		fmt.Fprintf(w, "  even with them: %s\n", d.StillLost)
	}
	return nil
}
