package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// maxExecSessions caps concurrent Exec sessions on one connection; with the
// (at most two) long-lived SFTP sessions this stays under OpenSSH's default
// MaxSessions 10.
const maxExecSessions = 7

// keepAliveMax is how many keepalives may go unanswered before the
// connection is declared dead (OpenSSH's ServerAliveCountMax).
const keepAliveMax = 3

// SSH is one host's SSH connection, shared by every task of the run.
type SSH struct {
	name   string
	user   string // login user on the host
	client *ssh.Client
	jumps  []*ssh.Client // bastion clients, outermost first
	sem    chan struct{}

	closeOnce sync.Once
	closed    chan struct{}
	lost      chan struct{} // closed when the SSH transport has ended

	mu      sync.Mutex
	deadErr error                 // why the connection died, nil while alive
	sftps   map[bool]*sftp.Client // by become
	names   map[string]string     // uid/gid lookups: "u1000" -> "alice"
	ids     map[string]int        // name lookups: "ualice" -> 1000
	sftpMu  map[bool]*sync.Mutex  // serialises SFTP client creation
}

func newSSHConn(name, loginUser string, client *ssh.Client, jumps []*ssh.Client, keepAlive time.Duration) *SSH {
	c := &SSH{
		name: name, user: loginUser, client: client, jumps: jumps,
		sem:    make(chan struct{}, maxExecSessions),
		closed: make(chan struct{}),
		lost:   make(chan struct{}),
		sftps:  map[bool]*sftp.Client{},
		names:  map[string]string{}, ids: map[string]int{},
		sftpMu: map[bool]*sync.Mutex{false: {}, true: {}},
	}
	go c.keepalive(keepAlive)
	go func() {
		err := client.Wait()
		select {
		case <-c.closed:
		default:
			c.fail(fmt.Errorf("connection lost: %v", err))
		}
		close(c.lost)
	}()
	return c
}

var _ Conn = (*SSH)(nil)

// Host is the inventory name of the host.
func (c *SSH) Host() string { return c.name }

// User is the login user.
func (c *SSH) User() string { return c.user }

// keepalive sends keepalive@openssh.com every interval; keepAliveMax
// unanswered in a row (or a send failure) mark the connection dead.
func (c *SSH) keepalive(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var pending chan error
	missed := 0
	for {
		select {
		case <-c.closed:
			return
		case err := <-pending:
			pending = nil
			if err != nil {
				c.fail(fmt.Errorf("keepalive: %w", err))
				return
			}
			missed = 0
		case <-t.C:
			if pending != nil {
				missed++
				if missed >= keepAliveMax {
					c.fail(fmt.Errorf("no answer to %d keepalives sent every %s", missed, interval))
					return
				}
				continue
			}
			ch := make(chan error, 1)
			pending = ch
			go func() {
				// OpenSSH answers unknown global requests with failure: any
				// answer proves the peer alive.
				_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
				ch <- err
			}()
		}
	}
}

// fail marks the connection dead (first reason wins) and closes it, which
// aborts every session in flight.
func (c *SSH) fail(err error) {
	c.mu.Lock()
	first := c.deadErr == nil
	if first {
		c.deadErr = err
	}
	c.mu.Unlock()
	if first {
		slog.Warn("ssh connection dead", "host", c.name, "err", err)
		c.client.Close()
	}
}

func (c *SSH) dead() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deadErr
}

// transportErr turns err into an UnreachableError when the connection died.
// A session failing for transport reasons usually shows up a moment before
// the connection reader notices, so give it that moment.
func (c *SSH) transportErr(what string, err error) error {
	var oce *ssh.OpenChannelError
	if !errors.As(err, &oce) {
		select {
		case <-c.lost:
		case <-c.closed:
		case <-time.After(lostGrace):
		}
	}
	if d := c.dead(); d != nil {
		return &UnreachableError{Host: c.name, Err: d}
	}
	select {
	case <-c.closed:
		return fmt.Errorf("%s: %s: connection closed", c.name, what)
	default:
	}
	return fmt.Errorf("%s: %s: %w", c.name, what, err)
}

// lostGrace is how long a failed session waits for the connection to be
// declared lost before reporting a plain error.
const lostGrace = 500 * time.Millisecond

func (c *SSH) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closed:
		return fmt.Errorf("%s: connection closed", c.name)
	}
}

func (c *SSH) release() { <-c.sem }

// Exec runs cmd through `sh -c` in its own session on the shared connection.
func (c *SSH) Exec(ctx context.Context, cmd string, opts ExecOptions) (ExecResult, error) {
	line, preamble, err := buildCommand(c.user, cmd, opts)
	if err != nil {
		return ExecResult{}, fmt.Errorf("%s: %w", c.name, err)
	}
	if opts.Secret {
		slog.Debug("exec", "host", c.name, "cmd", "(secret)", "become", opts.Become)
	} else {
		slog.Debug("exec", "host", c.name, "cmd", cmd, "become", opts.Become)
	}
	if err := c.acquire(ctx); err != nil {
		return ExecResult{}, err
	}
	defer c.release()
	if d := c.dead(); d != nil {
		return ExecResult{}, &UnreachableError{Host: c.name, Err: d}
	}
	sess, err := c.client.NewSession()
	if err != nil {
		return ExecResult{}, c.transportErr("open session", err)
	}
	defer sess.Close()
	var stdout, stderr bytes.Buffer
	sess.Stdout, sess.Stderr = &stdout, &stderr
	input := opts.Stdin
	if len(preamble) > 0 {
		if input == nil {
			input = bytes.NewReader(preamble)
		} else {
			input = io.MultiReader(bytes.NewReader(preamble), input)
		}
	}
	var stdin io.WriteCloser
	if input != nil {
		// Our own copier: a command that exits without reading all its
		// input is not a transport failure (Session.Wait would say so).
		if stdin, err = sess.StdinPipe(); err != nil {
			return ExecResult{}, fmt.Errorf("%s: stdin: %w", c.name, err)
		}
	}
	if err := sess.Start(line); err != nil {
		return ExecResult{}, c.transportErr("start command", err)
	}
	if stdin != nil {
		go func() {
			_, _ = io.Copy(stdin, input)
			stdin.Close()
		}()
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = sess.Signal(ssh.SIGKILL)
		sess.Close()
		<-done // the output copiers have finished once Wait returns
		return ExecResult{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), ExitCode: -1}, ctx.Err()
	}
	res := ExecResult{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var exitErr *ssh.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitStatus()
		if exitErr.Signal() != "" {
			res.ExitCode = 255
		}
		if needSudo(c.user, opts.Become, opts.BecomeUser) {
			if msg, denied := sudoDenied(res.ExitCode, res.Stderr); denied {
				return res, fmt.Errorf("%s: become %s: %s: %w", c.name, becomeTarget(opts.BecomeUser), msg, ErrBecomeDenied)
			}
		}
	default:
		return res, c.transportErr("run command", err)
	}
	return res, nil
}

func becomeTarget(u string) string {
	if u == "" {
		return "root"
	}
	return u
}

// Close ends the connection (and its bastion hops).
func (c *SSH) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.closed)
		c.mu.Lock()
		for _, s := range c.sftps {
			s.Close()
		}
		c.mu.Unlock()
		err = c.client.Close()
		for i := len(c.jumps) - 1; i >= 0; i-- {
			c.jumps[i].Close()
		}
		if errors.Is(err, net.ErrClosed) || c.dead() != nil {
			err = nil
		}
	})
	return err
}
