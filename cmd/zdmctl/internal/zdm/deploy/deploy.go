// Package deploy is `zdmctl deploy`: preflight, then install or update the
// proxy fleet host by host (health-gated).
package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/zdmcmd"
	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// Options of `deploy`.
type Options struct {
	F           *cmdutil.Factory
	ProxyBinary string
	Gate        zdmcmd.Gate
	SkipClock   bool
	// MonitoringOnly deploys the monitoring hosts alone; SkipMonitoring
	// the proxies alone.
	MonitoringOnly bool
	SkipMonitoring bool
}

// NewCmdDeploy builds the command; runF replaces Run in tests.
func NewCmdDeploy(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Preflight, then install or update the ZDM proxies host by host, then monitoring",
		Long: `Deploy the ZDM proxy fleet of the inventory's "proxies" group.

Preflight on every proxy first: SSH and sudo, systemd, ports 9042 and 14001
free (or held by the zdm-proxy unit), TCP to every Origin and Target contact
point from the host, clock within 500ms of this machine's, disk space.

Then host by host (serial 1; every host at once on a first deploy, when no
proxy of the fleet runs yet: rollout.parallel_first_deploy): the zdm user,
/opt/zdm-proxy with the binary as zdm-proxy-<sha256[:12]> and a "current"
symlink, /etc/zdm-proxy/zdm-proxy.yaml (0600, owner zdm) rendered from the
inventory, a hardened systemd unit; start (or reload/restart when something
changed), then the gate: /health/readiness answers 200, a client is back
on it when it had any, its process has run for rollout.healthy_for (1s;
--healthy-for) since it started, ready and not restarted by systemd since
readiness (after a reload: ready that long), and the fleet has back the client connections it had
before the rollout. A host where nothing would change
and whose proxy is ready is not touched or waited on; a proxy found stopped
or not ready is reported ("found down before the rollout") and started. A
host that fails is rolled back to its previous binary and config and the
rollout stops. Running it again with nothing changed changes nothing.

The proxy binary (linux/amd64) is zdm-proxy beside zdmctl, or --proxy-binary.

Monitoring: when the inventory has a "monitoring" group, deploy then sets up
each of its hosts (all at once) under the same lock, reported in the same
recap: Prometheus as user zdm-prometheus, unit zdm-prometheus, listening on
prometheus_port (9090), data in /var/lib/zdm-monitoring/prometheus kept for
prometheus_retention (15d), scraping every proxy's metrics_port as job
"zdm-proxy" with the host name as instance. The proxies must then listen for
metrics beyond localhost: metrics_address: "0.0.0.0". The Prometheus binary
is uploaded from this machine (prometheus_binary, default the prometheus on
PATH) or, with monitoring_install: package, installed from the host's
package manager. A scrape list change is a reload, never a restart.
Grafana comes from a tarball on this machine (grafana_archive:
grafana-<version>.linux-amd64.tar.gz) or, with grafana_install: package,
from the host's grafana package (grafana_apt_repo and grafana_apt_key name
the operator's own APT repository; unset: the host's repositories); unit
zdm-grafana on grafana_port, 3000. Without either the datasource and ZDM dashboards are still written to
/etc/zdm-monitoring/grafana for an existing Grafana. --monitoring-only
deploys the monitoring hosts alone (no proxy binary needed);
--skip-monitoring the proxies alone. With --limit, monitoring is skipped.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.ProxyBinary, "proxy-binary", "", "zdm-proxy executable to install (default: zdm-proxy beside zdmctl)")
	cmd.Flags().BoolVar(&opts.SkipClock, "skip-clock-check", false, "do not compare the hosts' clocks with this machine's")
	cmd.Flags().BoolVar(&opts.MonitoringOnly, "monitoring-only", false, "deploy only the monitoring hosts (Prometheus, Grafana), not the proxies")
	cmd.Flags().BoolVar(&opts.SkipMonitoring, "skip-monitoring", false, "deploy only the proxies, not the monitoring hosts")
	cmd.MarkFlagsMutuallyExclusive("monitoring-only", "skip-monitoring")
	zdmcmd.AddGateFlags(cmd, &opts.Gate)
	return cmd
}

// Run deploys.
func Run(opts *Options) error {
	f := opts.F
	vars, err := f.Vars()
	if err != nil {
		return cmdutil.UsageError(fmt.Errorf("--set: %w", err))
	}
	env, err := zdmcmd.LoadForDeploy(f, vars)
	if err != nil {
		return err
	}
	defer env.Close()
	var mro *zdmcmd.Rollout
	if !opts.SkipMonitoring && (f.Settings.Limit == "" || opts.MonitoringOnly) {
		var notes []string
		if mro, notes, err = env.MonitoringRollout(); err != nil {
			return err
		}
		for _, n := range notes {
			fmt.Fprintln(f.IO.ErrOut, n)
		}
	} else if len(env.Fleet.Monitors) > 0 && !opts.SkipMonitoring {
		fmt.Fprintln(f.IO.ErrOut, "note: --limit: the monitoring hosts are not deployed (run without --limit, or with --monitoring-only)")
	}
	if opts.MonitoringOnly {
		if mro == nil {
			return cmdutil.UsageError(fmt.Errorf("--monitoring-only: inventory %s has no %q group with hosts", env.Path, zdm.MonitorGroup))
		}
		mro.Command = "deploy --monitoring-only"
		return mro.Run()
	}
	bin, err := zdmcmd.FindBinary(opts.ProxyBinary)
	if err != nil {
		return cmdutil.UsageError(err)
	}
	ro := &zdmcmd.Rollout{
		Env:      env,
		Command:  "deploy",
		Playbook: "zdm-deploy",
		Gate:     opts.Gate,
		Binary:   bin,
		Rollback: true,
		ShowPlan: true,
		Next:     mro,
	}
	if !opts.SkipClock {
		ro.Before = func(ctx context.Context) error {
			var hosts = env.Fleet.Proxies[:0:0]
			for _, h := range env.Fleet.Proxies {
				if zdmcmd.Contains(env.Targets, h.Name) {
					hosts = append(hosts, h)
				}
			}
			if probs := env.CheckClocks(ctx, hosts); len(probs) > 0 {
				return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: errors.New("preflight: " + strings.Join(probs, "; "))}
			}
			return nil
		}
	}
	if err := ro.Run(); err != nil {
		return err
	}
	if !f.Settings.JSON() && !f.Settings.Check {
		fmt.Fprintln(f.IO.ErrOut, ClientSettingsHint)
	}
	return nil
}

// ClientSettingsHint ends a successful deploy: the drivers' settings that
// make rollouts lossless are zdmctl client-config's.
const ClientSettingsHint = "client settings: zdmctl client-config"
