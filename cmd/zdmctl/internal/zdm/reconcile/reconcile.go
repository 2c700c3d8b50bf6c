// Package reconcile is `zdmctl reconcile`: the journal of writes a cluster
// missed (write_mode DUAL_ASYNC_ON_SECONDARY) on every proxy, per table, and
// with --apply their replay to the cluster that missed them.
package reconcile

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/zdmcmd"
	"github.com/zdmctl/zdmctl/deploy/output"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

// Options of `reconcile`.
type Options struct {
	F           *cmdutil.Factory
	Apply       bool
	Rate        float64
	SkipRefused bool
}

// NewCmdReconcile builds the command; runF replaces Run in tests.
func NewCmdReconcile(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Show, and with --apply replay, the writes a cluster missed (DUAL_ASYNC_ON_SECONDARY)",
		Long: `With write_mode DUAL_ASYNC_ON_SECONDARY each proxy journals the writes the
secondary missed (failed, timed out, or beyond the in-flight budget) in
journal_dir (/var/lib/zdm-proxy/journal). reconcile reads every proxy's
journal over SSH (zdm-proxy journal status, run as the proxy's user) and
shows per host and table: pending records (replayable), needs-repair records
(counters, LWT, non-deterministic functions: never replayed; repair or copy
those tables, then zdm-proxy journal clear-repair --confirm on the host), and
the oldest and newest.

--apply then replays each host's pending records (zdm-proxy journal replay)
to the cluster that missed them, with their original timestamps, so a replay
never overwrites a newer write. Each host checks that cluster answers first,
sends at most --rate records per second, and removes a record from its
journal only after the cluster acknowledged it; an interrupted run resumes
where it stopped. A record the cluster refuses for good (INVALID or
SYNTAX, e.g. its table was dropped since) stops the replay too, unless
--skip-refused: then it is skipped, counted and listed. The hosts replay in
parallel (--forks).

-o json writes the document every command writes: ok (exit 0), exit_code,
error, and under data the hosts' journals, pending, needs_repair and, with
--apply, replayed.

Exit 0 when every journal was read (and, with --apply, fully replayed).`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Apply, "apply", false, "replay the pending records to the cluster that missed them")
	cmd.Flags().Float64Var(&opts.Rate, "rate", 500, "--apply: records per second per host (0: no bound)")
	cmd.Flags().BoolVar(&opts.SkipRefused, "skip-refused", false, "--apply: skip and list records the cluster refuses as INVALID or SYNTAX (e.g. a dropped table) instead of stopping")
	return cmd
}

// Report is the data of `reconcile -o json` (under "data"; the
// document's ok, exit_code and error say whether every journal was read
// and, with --apply, fully replayed).
type Report struct {
	Hosts       []zdm.HostJournal `json:"hosts"`
	Pending     int64             `json:"pending"`
	NeedsRepair int64             `json:"needs_repair"`
	Replayed    int64             `json:"replayed,omitempty"`
	// OK: every journal read (and with --apply replayed); the document's "ok".
	OK bool `json:"-"`
}

// Run reads (and with --apply replays) every selected proxy's journal.
func Run(opts *Options) error {
	f := opts.F
	if opts.Rate < 0 {
		return cmdutil.UsageError(fmt.Errorf("--rate %g: allowed 0 (no bound) or a positive number of records per second", opts.Rate))
	}
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
	var hosts []*inventory.Host
	for _, h := range env.Fleet.Proxies {
		if zdmcmd.Contains(env.Targets, h.Name) {
			hosts = append(hosts, h)
		}
	}
	rep := &Report{Hosts: make([]zdm.HostJournal, len(hosts))}
	env.Each(ctx, hosts, func(i int, h *inventory.Host, conn transport.Conn, err error) {
		if err != nil {
			rep.Hosts[i] = zdm.HostJournal{Host: h.Name, Error: err.Error()}
			return
		}
		if opts.Apply {
			fmt.Fprintf(f.IO.ErrOut, "%s: replaying\n", h.Name)
			r := zdm.JournalReplay(ctx, conn, opts.Rate, opts.SkipRefused)
			if r.Replay != nil {
				fmt.Fprintf(f.IO.ErrOut, "%s: replayed %d of %d\n", h.Name, r.Replay.Replayed, r.Replay.Pending)
				for _, why := range r.Replay.Refused {
					fmt.Fprintf(f.IO.ErrOut, "%s: skipped, refused by the cluster: %s\n", h.Name, why)
				}
			}
			st := zdm.JournalStatus(ctx, conn)
			st.Replay = r.Replay
			if r.Error != "" {
				st.Error = r.Error
			}
			rep.Hosts[i] = st
			return
		}
		rep.Hosts[i] = zdm.JournalStatus(ctx, conn)
	})
	rep.OK = true
	var failed []string
	for _, h := range rep.Hosts {
		if h.Error != "" {
			rep.OK = false
			failed = append(failed, h.Host)
		}
		if h.Status != nil {
			rep.Pending += h.Status.Pending
			rep.NeedsRepair += h.Status.NeedsRepair
		}
		if h.Replay != nil {
			rep.Replayed += h.Replay.Replayed
		}
	}
	if opts.Apply && rep.Pending > 0 {
		rep.OK = false
	}
	var fail error
	switch {
	case len(failed) > 0:
		fail = errors.New("journal not read or not replayed on " + strings.Join(failed, ", "))
	case !rep.OK:
		fail = fmt.Errorf("%d records still pending", rep.Pending)
	}
	if f.Settings.JSON() {
		doc := output.Document{OK: fail == nil, Data: rep}
		if fail != nil {
			doc.ExitCode, doc.Error = cmdutil.ExitFailed, fail.Error()
		}
		if err := output.WriteJSON(f.IO.Out, doc); err != nil {
			return err
		}
	} else {
		Print(f.IO.Out, rep, opts.Apply)
	}
	if fail != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: fail, Reported: f.Settings.JSON()}
	}
	return nil
}

// Print writes the per-host, per-table table and a summary.
func Print(w io.Writer, rep *Report, applied bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tMISSED BY\tTABLE\tPENDING\tNEEDS REPAIR\tOLDEST\tNEWEST")
	for _, h := range rep.Hosts {
		if h.Status == nil || len(h.Status.Tables) == 0 {
			state := "-"
			if h.Error != "" {
				state = "ERROR"
			}
			fmt.Fprintf(tw, "%s\t%s\t-\t0\t0\t-\t-\n", h.Host, state)
			continue
		}
		for _, t := range h.Status.Tables {
			fmt.Fprintf(tw, "%s\t%s\t%s.%s\t%d\t%d\t%s\t%s\n", h.Host, t.Cluster, t.Keyspace, t.Table, t.Pending, t.NeedsRepair,
				t.Oldest.Format(time.RFC3339), t.Newest.Format(time.RFC3339))
		}
	}
	tw.Flush()
	for _, h := range rep.Hosts {
		if h.Error != "" {
			fmt.Fprintf(w, "%s: %s\n", h.Host, h.Error)
		}
		if h.Status != nil {
			for _, c := range h.Status.CorruptSegments {
				fmt.Fprintf(w, "%s: corrupt journal segment (good records kept): %s\n", h.Host, c)
			}
		}
	}
	fmt.Fprintln(w)
	if applied {
		fmt.Fprintf(w, "replayed %d records; %d pending, %d needs repair\n", rep.Replayed, rep.Pending, rep.NeedsRepair)
	} else {
		fmt.Fprintf(w, "%d pending, %d needs repair\n", rep.Pending, rep.NeedsRepair)
		if rep.Pending > 0 {
			fmt.Fprintln(w, "next: zdmctl reconcile --apply")
		}
	}
	if rep.NeedsRepair > 0 {
		fmt.Fprintf(w, "needs repair: copy or repair the tables listed, then on each host: %s/current journal clear-repair --confirm --config %s\n", zdm.InstallDir, zdm.ConfigPath)
	}
}
