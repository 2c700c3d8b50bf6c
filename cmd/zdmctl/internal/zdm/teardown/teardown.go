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
	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// Options of `teardown`.
type Options struct {
	F          *cmdutil.Factory
	Yes        bool
	Monitoring bool
	// Force tears down proxies that still have clients (one host at a
	// time, each draining, unless AllAtOnce); its reason is recorded.
	Force     zdmcmd.Force
	AllAtOnce bool
	BreakLock bool
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
Grafana installed otherwise is left alone. Asks for confirmation unless --yes.

It refuses (exit 3) while any proxy has client connections (read from each
proxy's admin API over SSH), naming the hosts and their counts: the go/no-go
check zdmctl phase shows before teardown. --force --reason "why" tears down
anyway and records the override, with the counts, in the journal of actions
(zdmctl history).
The proxies are stopped one host at a time, each draining its clients
(readiness 503, DOWN events, grace) before the next one stops, unless
--all-at-once.`,
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
	zdmcmd.AddForceFlags(cmd, &opts.Force, "tear down even while clients are connected (still one host at a time)")
	zdmcmd.AddBreakLockFlag(cmd, &opts.BreakLock)
	cmd.Flags().BoolVar(&opts.AllAtOnce, "all-at-once", false, "stop every proxy at once instead of one host at a time")
	return cmd
}

// Run tears down.
func Run(opts *Options) error {
	f := opts.F
	if err := opts.Force.Validate(); err != nil {
		return err
	}
	env, err := zdmcmd.Load(f, nil)
	if err != nil {
		return err
	}
	defer env.Close()
	if !opts.Yes && !f.Settings.Check {
		fmt.Fprintf(f.IO.ErrOut, "This stops client traffic through and removes the proxies on %s. Continue? [y/N] ", strings.Join(env.Targets, ", "))
		line, _ := bufio.NewReader(f.IO.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: fmt.Errorf("teardown cancelled: nothing changed")}
		}
	}
	if !f.Settings.Check {
		runCtx, _, stop := f.Contexts()
		busy := busyMessage(clientsOf(runCtx, env))
		stop()
		switch {
		case busy != "" && !opts.Force.Force:
			return &cmdutil.ExitError{Code: cmdutil.ExitGate, Err: fmt.Errorf("teardown refused, nothing changed: clients are connected (%s); move them off the proxies first, or --force --reason \"why\" to tear down anyway (recorded in the journal of actions), one host at a time with each proxy draining", busy)}
		case busy != "":
			failing := []zdm.Check{{Name: "clients gone from the proxies (before teardown)", Value: busy, Want: "0"}}
			if err := env.Override("teardown", opts.Force, failing, ""); err != nil {
				return err
			}
		}
	}
	ro := &zdmcmd.Rollout{
		Env:        env,
		Command:    "teardown",
		Playbook:   "zdm-teardown",
		OneAtATime: !opts.AllAtOnce,
		Gate:       zdmcmd.Gate{BreakLock: opts.BreakLock},
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
