package output

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/zdmctl/zdmctl/deploy/runner"
)

// Recap writes the per-host table and the run's verdict.
func Recap(w io.Writer, r *runner.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "HOST\tOK\tCHANGED\tFAILED\tUNREACHABLE\tSKIPPED\tTIME\tSTATUS\t")
	for _, h := range r.Hosts {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", h.Host, h.OK, h.Changed, h.Failed, h.Unreachable, h.Skipped,
			fmtDur(time.Duration(h.Duration)), h.Status)
	}
	tw.Flush()
	if r.Stopped != "" {
		fmt.Fprintf(w, "stopped: %s\n", r.Stopped)
	}
	for _, h := range r.Hosts {
		if h.Error != "" {
			fmt.Fprintf(w, "%s: %s\n", h.Host, h.Error)
		}
	}
	verdict := "ok"
	switch r.ExitCode() {
	case runner.ExitInterrupted:
		verdict = "interrupted"
	case runner.ExitAuth:
		verdict = "failed (authentication)"
	case runner.ExitFailed:
		verdict = "failed"
	}
	check := ""
	if r.Check {
		check = " (check mode: nothing was changed)"
	}
	fmt.Fprintf(w, "%s in %s%s\n", verdict, fmtDur(time.Duration(r.Duration)), check)
}
