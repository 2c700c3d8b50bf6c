// Package status is `zdmctl status`: the live state of every proxy and
// monitoring host, read in parallel over SSH.
package status

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/zdmcmd"
	"github.com/zdmctl/zdmctl/deploy/output"
	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// Options of `status`.
type Options struct {
	F *cmdutil.Factory
}

// NewCmdStatus builds the command; runF replaces Run in tests.
func NewCmdStatus(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	return &cobra.Command{
		Use:   "status",
		Short: "Show every proxy's live state and drift from the inventory",
		Long: `Show, per proxy host (all in parallel): SSH reachability, systemd state,
version, running read_mode and primary_cluster, readiness of Origin and
Target, client connections, uptime, and drift: the config hash the proxy
runs (config_sha256 of /api/v1/status) against the hash of what the
inventory renders now; and whether a restart is pending. Per monitoring
host: Prometheus (prometheus_port, 9090) and Grafana (grafana_port, 3000):
up (answers), DOWN (zdmctl installed it and it does not answer) or "not
deployed" (Grafana with neither grafana_archive nor grafana_install: package).

Each proxy has two HTTP listeners, both read over SSH on the host itself
(bash /dev/tcp to 127.0.0.1): readiness from the metrics listener
(metrics_address:metrics_port, default 14001: only /metrics and /health/*,
the one monitoring may expose with metrics_address: "0.0.0.0"), the status
and running config from the admin API listener (admin_address:admin_port,
default localhost:14002: /api/v1/*), which stays local unless admin_address
says otherwise.

-o json writes ok (the fleet is healthy), exit_code, error, and the fleet
under data, as the other commands' documents.

Exit 0 only when every proxy is ready with no drift.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
}

// Run prints the status.
func Run(opts *Options) error {
	f := opts.F
	vars, err := f.Vars()
	if err != nil {
		return cmdutil.UsageError(fmt.Errorf("--set: %w", err))
	}
	env, err := zdmcmd.Load(f, vars)
	if err != nil {
		return err
	}
	defer env.Close()
	ctx, _, stop := f.Contexts()
	defer stop()
	fs := env.Probe(ctx)
	if f.Settings.JSON() {
		if err := output.WriteJSON(f.IO.Out, fs.Document()); err != nil {
			return err
		}
	} else {
		Print(f.IO.Out, fs)
	}
	if !fs.OK {
		return &cmdutil.ExitError{Code: fs.FailCode(), Err: errors.New("fleet not healthy: " + fs.Summary), Reported: f.Settings.JSON()}
	}
	return nil
}

// Print writes the status table and the summary line.
func Print(w io.Writer, fs *zdmcmd.FleetStatus) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tSSH\tSERVICE\tREADY\tORIGIN\tTARGET\tREAD_MODE\tPRIMARY\tCLIENTS\tUPTIME\tVERSION\tDRIFT")
	for _, p := range fs.Proxies {
		ssh := "ok"
		if !p.Reachable {
			ssh = "DOWN"
		}
		ready := "yes"
		if p.Ready && p.DegradedReason != "" {
			ready += " (degraded: " + p.DegradedReason + ")"
		}
		if !p.Ready {
			ready = "NO"
			if p.NotReadyReason != "" {
				ready += " (" + p.NotReadyReason + ")"
			}
		}
		drift := "no"
		switch {
		case p.DriftUnknown():
			drift = "unknown"
		case p.Drifted():
			drift = "YES: " + p.DriftWhy
		}
		if p.Unloaded {
			drift += " (file not loaded yet)"
		}
		if p.RestartPending {
			drift += ", restart pending"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", p.Host, ssh, dash(p.Service), ready, up(p.OriginUp), up(p.TargetUp),
			dash(p.ReadMode), dash(p.PrimaryCluster), p.ClientConnections, zdm.Uptime(p.UptimeSeconds), dash(p.Version), drift)
	}
	tw.Flush()
	for _, p := range fs.Proxies {
		if p.Error != "" {
			fmt.Fprintf(w, "%s: %s\n", p.Host, p.Error)
		}
		for _, c := range p.DriftChanges {
			fmt.Fprintf(w, "%s: drift: %s\n", p.Host, c)
		}
		if j := p.Journal; j != nil && (j.Pending > 0 || j.NeedsRepair > 0 || j.Dropped > 0 || j.CorruptSegments > 0) {
			fmt.Fprintf(w, "%s: journal of missed writes: %d pending, %d needs repair, %d dropped (full), %d corrupt segments: zdmctl reconcile\n",
				p.Host, j.Pending, j.NeedsRepair, j.Dropped, j.CorruptSegments)
		}
	}
	if len(fs.Monitors) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "MONITORING\tSSH\tPROMETHEUS\tGRAFANA")
		for _, m := range fs.Monitors {
			ssh := "ok"
			if !m.Reachable {
				ssh = "DOWN"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Host, ssh, state(m.PrometheusState), state(m.GrafanaState))
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, fs.Summary)
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

func up(b *bool) string {
	if b == nil {
		return "-"
	}
	return yes(*b)
}

func state(s string) string {
	switch s {
	case "":
		return "-"
	case zdm.ServiceDown:
		return "DOWN"
	}
	return s
}

func yes(b bool) string {
	if b {
		return "up"
	}
	return "DOWN"
}
