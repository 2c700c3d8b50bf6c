package phase

import (
	"io"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/zdmcmd"
	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// Report is the data of `phase -o json` (under "data"; the document's
// ok, exit_code and error say whether phase exited 0): the phase, the next
// step and its checks.
type Report struct {
	zdm.Phase
	Checks []zdm.Check `json:"checks"`
	// Go is true when no check fails (no checks: true); skipped checks
	// (no Prometheus) do not count, as the rollout commands' gates do not
	// block on them.
	Go bool `json:"go"`
}

func goNoGo(checks []zdm.Check) bool { return len(zdm.Failing(checks)) == 0 }

// printChecks writes the checks table and the verdict.
func printChecks(w io.Writer, checks []zdm.Check) {
	zdmcmd.PrintChecks(w, "checks before it:", checks)
}
