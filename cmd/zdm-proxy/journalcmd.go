package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/journal"
	"github.com/zdmctl/zdmctl/proxy/reconcile"
)

const journalUsage = `usage: zdm-proxy journal COMMAND [flags]

The journal of writes a cluster missed (write_mode DUAL_ASYNC_ON_SECONDARY):
  status        pending and needs-repair records per table (read only)
  replay        send the pending records to the cluster that missed them,
                with their original timestamps; resumable
  clear-repair  forget the needs-repair records, once their tables were
                repaired or copied (--confirm)

flags: --config FILE (journal_dir and the clusters), --dir DIR (journal_dir
without a config; status only), -o text|json, replay: --rate N (records/s),
--limit N, --skip-refused
`

// journalOutput is the JSON document of every journal command.
type journalOutput struct {
	Command string            `json:"command"`
	Status  *journal.Report   `json:"status,omitempty"`
	Replay  *reconcile.Result `json:"replay,omitempty"`
	Cleared *int64            `json:"cleared,omitempty"`
	Error   string            `json:"error,omitempty"`
}

func runJournal(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, journalUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd := args[0]
	fs := flag.NewFlagSet("zdm-proxy journal "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "proxy config file (journal_dir, clusters)")
	dir := fs.String("dir", "", "journal_dir (instead of --config; status and clear-repair)")
	var output string
	fs.StringVar(&output, "o", "text", "output: text or json")
	fs.StringVar(&output, "output", "text", "output: text or json")
	rate := fs.Float64("rate", 500, "replay: records per second (0: no bound)")
	limit := fs.Int64("limit", 0, "replay: stop after this many records (0: all)")
	confirm := fs.Bool("confirm", false, "clear-repair: yes, the tables were repaired")
	skipRefused := fs.Bool("skip-refused", false, "replay: skip (and list) records the cluster refuses as INVALID or SYNTAX instead of stopping")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if output != "text" && output != "json" {
		fmt.Fprintf(stderr, "zdm-proxy journal: -o %q: allowed: text, json\n", output)
		return 2
	}
	out := journalOutput{Command: cmd}
	fail := func(err error) int {
		out.Error = err.Error()
		if output == "json" {
			writeJSON(stdout, out)
		} else {
			fmt.Fprintln(stderr, "zdm-proxy journal "+cmd+":", err)
		}
		return 1
	}
	var cfg *config.Config
	if *cfgPath != "" || *dir == "" || cmd == "replay" {
		c, _, err := config.Load(*cfgPath, os.Environ())
		if err != nil {
			return fail(err)
		}
		cfg = c
		if *dir == "" {
			*dir = c.JournalDir
		}
	}
	if *dir == "" {
		// No journal_dir (DUAL_SYNC without one): nothing journaled.
		switch cmd {
		case "status":
			out.Status = &journal.Report{Tables: []journal.TableStats{}}
		case "replay":
			out.Replay = &reconcile.Result{}
		default:
			return fail(errNoJournalDir)
		}
		if output == "json" {
			writeJSON(stdout, out)
		} else {
			fmt.Fprintln(stdout, "no journal_dir configured: nothing journaled")
		}
		return 0
	}
	switch cmd {
	case "status":
		rep, err := journal.InspectSet(*dir)
		if err != nil {
			return fail(err)
		}
		out.Status = &rep
		if output == "json" {
			writeJSON(stdout, out)
		} else {
			printReport(stdout, rep)
		}
		return 0
	case "replay":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		ex := reconcile.NewGocql(cfg)
		defer ex.Close()
		res, err := reconcile.Replay(ctx, *dir, ex, reconcile.Options{Rate: *rate, Limit: *limit, SkipRefused: *skipRefused,
			Progress: func(done, total int64) { fmt.Fprintf(stderr, "replayed %d of %d\n", done, total) }})
		out.Replay = &res
		if err != nil {
			return fail(err)
		}
		if output == "json" {
			writeJSON(stdout, out)
		} else {
			fmt.Fprintf(stdout, "replayed %d of %d pending records; %d remaining\n", res.Replayed, res.Pending, res.Remaining)
			if res.Skipped > 0 {
				fmt.Fprintf(stdout, "skipped %d records the cluster refused, e.g.: %s\n", res.Skipped, strings.Join(res.Refused, "; "))
			}
		}
		return 0
	case "clear-repair":
		if !*confirm {
			return fail(fmt.Errorf("clear-repair forgets the needs-repair records: run it with --confirm once their tables were repaired or copied"))
		}
		n, err := clearRepair(*dir)
		out.Cleared = &n
		if err != nil {
			return fail(err)
		}
		if output == "json" {
			writeJSON(stdout, out)
		} else {
			fmt.Fprintf(stdout, "cleared %d needs-repair records\n", n)
		}
		return 0
	}
	fmt.Fprint(stderr, journalUsage)
	return fail(fmt.Errorf("unknown command %q", cmd))
}

func clearRepair(dir string) (int64, error) {
	r, err := journal.OpenReplay(filepath.Join(dir, journal.RepairDir))
	if err != nil {
		return 0, err
	}
	defer r.Close()
	var n int64
	err = r.Each(func(journal.Record) error { n++; return nil })
	return n, err
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func printReport(w io.Writer, rep journal.Report) {
	fmt.Fprintf(w, "journal %s: %d pending, %d needs repair, %d bytes\n", rep.Dir, rep.Pending, rep.NeedsRepair, rep.Bytes)
	for _, c := range rep.CorruptSegments {
		fmt.Fprintf(w, "corrupt segment: %s\n", c)
	}
	if len(rep.Tables) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLUSTER\tTABLE\tPENDING\tNEEDS REPAIR\tOLDEST\tNEWEST")
	for _, t := range rep.Tables {
		fmt.Fprintf(tw, "%s\t%s.%s\t%d\t%d\t%s\t%s\n", t.Cluster, t.Keyspace, t.Table, t.Pending, t.NeedsRepair,
			t.Oldest.Format(time.RFC3339), t.Newest.Format(time.RFC3339))
	}
	tw.Flush()
}
