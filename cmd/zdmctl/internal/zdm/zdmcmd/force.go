package zdmcmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// Force is --force --reason: go on despite failing go/no-go checks, on
// record in the journal of actions.
type Force struct {
	Force  bool
	Reason string
}

// AddForceFlags declares --force (what it overrides: what) and --reason.
func AddForceFlags(cmd *cobra.Command, f *Force, what string) {
	cmd.Flags().BoolVar(&f.Force, "force", false, what+`; needs --reason "why", recorded in the journal of actions (zdmctl history)`)
	cmd.Flags().StringVar(&f.Reason, "reason", "", "why --force overrides the failing checks (recorded with them in the journal of actions)")
}

// Validate refuses --force without a --reason, and --reason alone
// (usage errors: nothing is contacted).
func (f Force) Validate() error {
	switch {
	case f.Force && strings.TrimSpace(f.Reason) == "":
		return cmdutil.UsageError(errors.New(`--force needs --reason "why": the override is recorded, with the failing checks, in the journal of actions`))
	case !f.Force && f.Reason != "":
		return cmdutil.UsageError(errors.New("--reason goes with --force"))
	}
	return nil
}

// Override records in the journal of actions that command went on despite
// the failing checks (with their live values), and warns on stderr. An
// override that cannot be recorded does not go on.
func (e *Env) Override(command string, f Force, failing []zdm.Check, detail string) error {
	w := e.F.IO.ErrOut
	var names []string
	for _, c := range failing {
		names = append(names, fmt.Sprintf("%s = %s (want %s)", c.Name, c.Value, c.Want))
	}
	if detail == "" {
		detail = "overrode: " + strings.Join(names, "; ")
	}
	path := zdm.ActionsPath(e.Path)
	a := zdm.Action{By: holder(), Command: command, Action: zdm.ActionForceGate, Detail: detail, Reason: f.Reason, Checks: failing}
	if err := zdm.RecordAction(path, a); err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: fmt.Errorf("%s --force: the override could not be recorded, so nothing goes on: %w", command, err)}
	}
	fmt.Fprintf(w, "warning: --force: %s goes on despite %d failing check(s): %s; reason %q (recorded in %s)\n",
		command, len(failing), strings.Join(names, "; "), f.Reason, path)
	return nil
}
