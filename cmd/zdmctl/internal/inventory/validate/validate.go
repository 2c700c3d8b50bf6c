// Package validate is `zdmctl inventory validate`.
package validate

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// Options of `inventory validate`.
type Options struct {
	F *cmdutil.Factory
}

// NewCmdValidate builds the command; runF replaces Run in tests.
func NewCmdValidate(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	return &cobra.Command{
		Use:   "validate",
		Short: "Load the inventory and report errors (file, line, field); with a proxies group, also the ZDM settings",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
}

// Summary is what validate reports.
type Summary struct {
	Path   string   `json:"path"`
	Hosts  []string `json:"hosts"`
	Groups []string `json:"groups"`
	// ZDM is true when the inventory has a proxies group and its ZDM
	// settings (proxy and monitoring vars) were checked as deploy would.
	ZDM bool `json:"zdm_checked"`
}

// Run validates the inventory: it loads, every host's vars resolve, and
// the --set overrides parse. With a proxies group, the ZDM settings are
// checked as the zdm commands check them before contacting a host.
func Run(opts *Options) error {
	f := opts.F
	inv, err := f.LoadInventory(f.Settings.Inventory)
	if err != nil {
		return cmdutil.UsageError(fmt.Errorf("inventory: %w", err))
	}
	vars, err := f.Vars()
	if err != nil {
		return cmdutil.UsageError(fmt.Errorf("--set: %w", err))
	}
	hosts, err := inv.Select("all")
	if err != nil {
		return cmdutil.UsageError(fmt.Errorf("inventory: %w", err))
	}
	sum := Summary{Path: f.Settings.Inventory, Hosts: []string{}, Groups: []string{}}
	seen := map[string]bool{}
	for _, h := range hosts {
		if _, err := inv.EffectiveVars(h.Name, vars); err != nil {
			return cmdutil.UsageError(fmt.Errorf("inventory: host %s: %w", h.Name, err))
		}
		sum.Hosts = append(sum.Hosts, h.Name)
		for _, g := range h.Groups {
			if !seen[g] {
				seen[g] = true
				sum.Groups = append(sum.Groups, g)
			}
		}
	}
	for _, h := range hosts {
		if h.Connection == "local" {
			continue
		}
		blocks, _ := transport.NameOnlyHostBlocks(f.Settings.SSHConfig, h.Name, h.Address)
		for _, b := range blocks {
			fmt.Fprintf(f.IO.ErrOut, "warning: ssh config %s matches host %s by its inventory name, but Host patterns match the address (%s), as in ssh and Ansible: it does not apply to %s\n", b, h.Name, h.Address, h.Name)
		}
	}
	if err := zdm.CheckIdentityFiles(inv, hosts); err != nil {
		return cmdutil.UsageError(zdm.InventoryError(sum.Path, err))
	}
	if inv.Group(zdm.ProxyGroup) != nil {
		if err := checkZDM(inv, vars); err != nil {
			return cmdutil.UsageError(zdm.InventoryError(sum.Path, err))
		}
		sum.ZDM = true
	}
	return f.ReportData(sum, func() error {
		zdmNote := ""
		if sum.ZDM {
			zdmNote = "; ZDM settings checked"
		}
		_, err := fmt.Fprintf(f.IO.Out, "%s: valid (%d hosts, %d groups%s)\n", sum.Path, len(sum.Hosts), len(sum.Groups), zdmNote)
		return err
	})
}

// checkZDM plans the proxies' configs and the monitoring hosts' settings.
func checkZDM(inv cmdutil.Inventory, vars map[string]any) error {
	fleet, err := zdm.Plan(inv, vars)
	if err != nil {
		return err
	}
	_, err = zdm.PlanMonitoring(inv, fleet, vars)
	return err
}
