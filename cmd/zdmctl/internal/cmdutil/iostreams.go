// Package cmdutil is what every zdmctl command shares: I/O streams, the
// Factory of dependencies (swapped for fakes in tests), resolved settings,
// exit codes and the JSON-or-text reporting of results and errors.
package cmdutil

import (
	"bytes"
	"io"
	"os"
)

// IOStreams are a command's standard streams.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer // data: recap, diffs, JSON
	ErrOut io.Writer // progress and messages
}

// System returns the process's streams.
func System() *IOStreams { return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr} }

// Test returns streams backed by buffers.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: &bytes.Buffer{}, Out: out, ErrOut: errOut}, out, errOut
}
