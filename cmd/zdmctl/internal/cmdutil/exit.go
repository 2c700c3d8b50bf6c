package cmdutil

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/zdmctl/zdmctl/deploy/runner"
)

// Exit codes (see `zdmctl --help`).
const (
	ExitOK          = runner.ExitOK
	ExitFailed      = runner.ExitFailed
	ExitUsage       = runner.ExitUsage
	ExitAuth        = runner.ExitAuth
	ExitInterrupted = runner.ExitInterrupted
	// ExitGate: a go/no-go gate refused the step (rolling-update,
	// teardown) before anything changed; --force --reason overrides.
	ExitGate = 3
)

// ExitError carries an exit code. Reported means the command already
// printed (or wrote as JSON) everything, so Main prints nothing more.
type ExitError struct {
	Code     int
	Err      error
	Reported bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return "exit status " + itoa(e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

// UsageError marks err as a usage or configuration error (exit 2).
func UsageError(err error) error { return &ExitError{Code: ExitUsage, Err: err} }

// ExitCode maps an error to an exit code: nil is 0, an ExitError its code,
// anything else (cobra's flag and argument errors) a usage error.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *ExitError
	if errors.As(err, &e) {
		return e.Code
	}
	return ExitUsage
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}

// Group makes a command that only holds subcommands reject unknown ones
// (a usage error) instead of printing help and exiting 0.
func Group(cmd *cobra.Command) *cobra.Command {
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return c.Help()
		}
		return UsageError(fmt.Errorf("unknown command %q for %q", args[0], c.CommandPath()))
	}
	return cmd
}
