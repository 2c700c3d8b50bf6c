// Package show is `zdmctl inventory show`.
package show

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"gopkg.in/yaml.v3"
)

// Options of `inventory show`.
type Options struct {
	F    *cmdutil.Factory
	Host string // only this host; empty: all selected by --limit (or all)
}

// NewCmdShow builds the command; runF replaces Run in tests.
func NewCmdShow(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show hosts and their effective vars (secrets redacted)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Host, "host", "", "show only this host")
	return cmd
}

// HostView is one host as shown.
type HostView struct {
	Name    string         `json:"name" yaml:"name"`
	Address string         `json:"address" yaml:"address"`
	Port    int            `json:"port,omitempty" yaml:"port,omitempty"`
	User    string         `json:"user,omitempty" yaml:"user,omitempty"`
	Groups  []string       `json:"groups" yaml:"groups"`
	Vars    map[string]any `json:"vars" yaml:"vars"`
}

// Run prints the hosts' effective vars, redacted.
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
	pattern := "all"
	switch {
	case opts.Host != "":
		if inv.Host(opts.Host) == nil {
			return cmdutil.UsageError(fmt.Errorf("no host %q in the inventory", opts.Host))
		}
		pattern = opts.Host
	case f.Settings.Limit != "":
		pattern = f.Settings.Limit
	}
	hosts, err := inv.Select(pattern)
	if err != nil {
		return cmdutil.UsageError(err)
	}
	views := []HostView{}
	for _, h := range hosts {
		ev, err := inv.EffectiveVars(h.Name, vars)
		if err != nil {
			return cmdutil.UsageError(fmt.Errorf("host %s: %w", h.Name, err))
		}
		groups := h.Groups
		if groups == nil {
			groups = []string{}
		}
		views = append(views, HostView{Name: h.Name, Address: h.Address, Port: h.Port, User: h.User, Groups: groups, Vars: inv.Redact(ev)})
	}
	return f.ReportData(map[string]any{"hosts": views}, func() error {
		b, err := yaml.Marshal(views)
		if err != nil {
			return err
		}
		_, err = f.IO.Out.Write(b)
		return err
	})
}
