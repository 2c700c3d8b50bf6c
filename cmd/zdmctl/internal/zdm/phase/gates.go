package phase

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// Report is `phase -o json`: the phase, the next step and its checks.
type Report struct {
	zdm.Phase
	Checks []zdm.Check `json:"checks"`
	// Go is true when every check passes (no checks: true).
	Go bool `json:"go"`
}

func goNoGo(checks []zdm.Check) bool {
	for _, c := range checks {
		if !c.Pass {
			return false
		}
	}
	return true
}

// printChecks writes the checks table and the verdict.
func printChecks(w io.Writer, checks []zdm.Check) {
	if len(checks) == 0 {
		return
	}
	fmt.Fprintln(w, "checks before it:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	failed := 0
	for _, c := range checks {
		mark := "PASS"
		if !c.Pass {
			mark, failed = "FAIL", failed+1
		}
		note := ""
		if c.Error != "" {
			note = " (" + c.Error + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\twant %s%s\n", mark, c.Name, c.Value, c.Want, note)
	}
	tw.Flush()
	if failed == 0 {
		fmt.Fprintln(w, "go:    yes, every check passes")
	} else {
		fmt.Fprintf(w, "go:    no, %d of %d checks fail\n", failed, len(checks))
	}
}
