package zdmcmd

import (
	"errors"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/transport"
)

// DialExitCode is the exit code of a failed connection: 4 for an SSH
// authentication or host key failure (as --help promises), 1 otherwise.
func DialExitCode(err error) int {
	var auth *transport.AuthError
	if errors.As(err, &auth) {
		return cmdutil.ExitAuth
	}
	return cmdutil.ExitFailed
}
