package zdmcmd

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// PrintChecks writes the go/no-go checks under title, one a line with
// PASS, FAIL or SKIP (not checked: no Prometheus), its live value and what
// it wants, then the verdict. Nothing when there are no checks.
func PrintChecks(w io.Writer, title string, checks []zdm.Check) {
	if len(checks) == 0 {
		return
	}
	fmt.Fprintln(w, title)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	skipped := 0
	for _, c := range checks {
		mark := "PASS"
		switch {
		case c.Skipped:
			mark, skipped = "SKIP", skipped+1
		case !c.Pass:
			mark = "FAIL"
		}
		note := ""
		if c.Error != "" {
			note = " (" + c.Error + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\twant %s%s\n", mark, c.Name, c.Value, c.Want, note)
	}
	tw.Flush()
	failed := len(zdm.Failing(checks))
	switch {
	case failed > 0:
		fmt.Fprintf(w, "go:    no, %d of %d checks fail\n", failed, len(checks))
	case skipped > 0:
		fmt.Fprintf(w, "go:    yes, every check run passes (%d not checked: no Prometheus in the inventory)\n", skipped)
	default:
		fmt.Fprintln(w, "go:    yes, every check passes")
	}
}
