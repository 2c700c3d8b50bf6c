package cmdutil

import (
	"errors"
	"fmt"

	"github.com/zdmctl/zdmctl/deploy/output"
)

// ReportData finishes a command that produced data: JSON document or the
// text printer.
func (f *Factory) ReportData(data any, text func() error) error {
	if f.Settings.JSON() {
		if err := output.WriteJSON(f.IO.Out, output.Document{OK: true, Data: data}); err != nil {
			return &ExitError{Code: ExitFailed, Err: err, Reported: true}
		}
		return nil
	}
	return text()
}

// ReportError writes err for the user: as the JSON document in JSON mode,
// else as a line on stderr. It returns the exit code.
func ReportError(io *IOStreams, jsonMode bool, err error) int {
	code := ExitCode(err)
	if err == nil {
		return code
	}
	var e *ExitError
	if errors.As(err, &e) && e.Reported {
		return code
	}
	if jsonMode {
		if werr := output.WriteJSON(io.Out, output.Document{OK: false, ExitCode: code, Error: err.Error()}); werr == nil {
			return code
		}
	}
	fmt.Fprintf(io.ErrOut, "zdmctl: %v\n", err)
	return code
}
