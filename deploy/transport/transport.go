// Package transport is the one way zdmctl talks to a host: run a command,
// read a file, write a file atomically. It has two implementations: SSH
// (x/crypto/ssh + pkg/sftp, one connection per host, sessions multiplexed on
// it) and local (this machine, no SSH) for demos and single-host use.
package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// Conn is one host's connection for the whole run. Implementations must be
// safe for concurrent use by several goroutines.
type Conn interface {
	// Host is the inventory name of the host.
	Host() string
	// Exec runs a shell command line (passed to `sh -c`). A non-zero exit is
	// reported in ExecResult.ExitCode, not as an error; an error means the
	// command could not be run (transport failure, sudo refused, ...).
	Exec(ctx context.Context, cmd string, opts ExecOptions) (ExecResult, error)
	// ReadFile returns the content of path. A missing file is an error
	// satisfying errors.Is(err, os.ErrNotExist).
	ReadFile(ctx context.Context, path string, become bool) ([]byte, error)
	// Stat returns file facts, or an error satisfying errors.Is(err,
	// os.ErrNotExist) when path does not exist. Symlinks are not followed.
	Stat(ctx context.Context, path string, become bool) (FileInfo, error)
	// Checksum returns the hex SHA-256 of path's content; exists is false
	// (and err nil) when the file does not exist.
	Checksum(ctx context.Context, path string, become bool) (sum string, exists bool, err error)
	// WriteFile writes r to path atomically: a temporary name in the same
	// directory, fsync, chmod/chown, then rename. An interrupted write never
	// leaves a half-written file at path.
	WriteFile(ctx context.Context, path string, r io.Reader, opts FileOptions) error
	// Close ends the connection.
	Close() error
}

// ExecOptions tune one command.
type ExecOptions struct {
	Become     bool      // run through `sudo -n` (as BecomeUser, root when empty)
	BecomeUser string    // target user for become
	Stdin      io.Reader // optional standard input
	Env        map[string]string
	// Secret marks the command line as holding a secret: it must never be
	// logged. (Secrets should travel via Stdin, never argv.)
	Secret bool
}

// ExecResult is what a finished command produced.
type ExecResult struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
}

// FileOptions tune WriteFile.
type FileOptions struct {
	Mode   os.FileMode // permission bits; 0 means 0644
	Owner  string      // user name; empty keeps the connecting user (or root with Become)
	Group  string      // group name; empty keeps default
	Become bool
}

// FileInfo is what Stat reports.
type FileInfo struct {
	Size       int64
	Mode       os.FileMode
	IsDir      bool
	IsSymlink  bool
	LinkTarget string
	Owner      string
	Group      string
}

// UnreachableError means the host could not be reached at all (dial, SSH
// handshake, network). The runner reports such a host as "unreachable",
// distinct from "failed".
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("host %s unreachable: %v", e.Host, e.Err)
}
func (e *UnreachableError) Unwrap() error { return e.Err }

// AuthError means authentication or host-key verification failed
// (zdmctl exit code 4).
type AuthError struct {
	Host string
	Err  error
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("host %s: authentication failed: %v", e.Host, e.Err)
}
func (e *AuthError) Unwrap() error { return e.Err }

// ErrBecomeDenied is wrapped when `sudo -n` is refused (no sudo right, or a
// password would be needed).
var ErrBecomeDenied = errors.New("sudo -n refused: the user has no passwordless sudo right")

// IsUnreachable reports whether err is (or wraps) an UnreachableError.
func IsUnreachable(err error) bool {
	var u *UnreachableError
	return errors.As(err, &u)
}
