// Package teardown is `zdmctl teardown`: stop and remove the proxies.
package teardown

import (
	"bufio"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/zdmcmd"
)

// Options of `teardown`.
type Options struct {
	F          *cmdutil.Factory
	Yes        bool
	Monitoring bool
}

// NewCmdTeardown builds the command; runF replaces Run in tests.
func NewCmdTeardown(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "teardown",
		Short: "Stop and remove the proxies (unit, binaries, config, user)",
		Long: `Stop and remove the ZDM proxies: the systemd unit, /opt/zdm-proxy,
/etc/zdm-proxy, /var/lib/zdm-proxy and the zdm user. --monitoring also
removes what deploy set up for monitoring: the zdm-prometheus,
zdm-alertmanager and zdm-grafana units on the monitoring hosts, the
zdm-node-exporter and zdm-readiness-probe units on every host,
/opt/zdm-monitoring, /etc/zdm-monitoring, /var/lib/zdm-monitoring (metrics
history, alert state, Grafana's database), their users, and the packages
deploy installed (monitoring_install: package); a Prometheus, exporter or
Grafana installed otherwise is left alone. Asks for confirmation unless --yes.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&opts.Monitoring, "monitoring", false, "also remove the monitoring deploy set up (Prometheus, Alertmanager, Grafana, node exporters)")
	return cmd
}

// Run tears down.
func Run(opts *Options) error {
	f := opts.F
	env, err := zdmcmd.Load(f, nil)
	if err != nil {
		return err
	}
	if !opts.Yes && !f.Settings.Check {
		fmt.Fprintf(f.IO.ErrOut, "This stops client traffic through and removes the proxies on %s. Continue? [y/N] ", strings.Join(env.Targets, ", "))
		line, _ := bufio.NewReader(f.IO.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: fmt.Errorf("teardown cancelled: nothing changed")}
		}
	}
	ro := &zdmcmd.Rollout{
		Env:      env,
		Command:  "teardown",
		Playbook: "zdm-teardown",
	}
	if opts.Monitoring {
		var mons []string
		for _, h := range env.Fleet.Monitors {
			mons = append(mons, h.Name)
		}
		if len(mons) == 0 {
			fmt.Fprintln(f.IO.ErrOut, "--monitoring: the inventory has no monitoring hosts")
		} else {
			// the node exporters run on the proxy hosts too
			hosts := slices.Clone(env.Targets)
			for _, m := range mons {
				if !slices.Contains(hosts, m) {
					hosts = append(hosts, m)
				}
			}
			ro.Next = &zdmcmd.Rollout{Env: env, Command: "teardown --monitoring", Playbook: "zdm-teardown-monitoring", Hosts: hosts}
		}
	}
	return ro.Run()
}
