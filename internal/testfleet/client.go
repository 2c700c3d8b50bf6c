package testfleet

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// ClientConfig returns an x/crypto/ssh config for h: the fleet key, host
// keys checked against the fleet's known_hosts file.
func (f *Fleet) ClientConfig(h Host) (*ssh.ClientConfig, error) {
	pem, err := os.ReadFile(h.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w", h.KeyFile, err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, fmt.Errorf("parse key %s: %w", h.KeyFile, err)
	}
	cb, err := knownhosts.New(f.KnownHostsFile)
	if err != nil {
		return nil, fmt.Errorf("read known_hosts %s: %w", f.KnownHostsFile, err)
	}
	return &ssh.ClientConfig{
		User:              h.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback:   cb,
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
		Timeout:           20 * time.Second,
	}, nil
}

// Dial opens an SSH connection to the named host, through its bastion when
// it has one. Closing the client also closes the bastion connection.
func (f *Fleet) Dial(ctx context.Context, name string) (*ssh.Client, error) {
	h, ok := f.Host(name)
	if !ok {
		return nil, fmt.Errorf("no host %q in fleet %s", name, f.Name)
	}
	cfg, err := f.ClientConfig(h)
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort(h.Address, "22")
	if h.Bastion == "" {
		conn, err := (&net.Dialer{Timeout: cfg.Timeout}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("dial %s (%s): %w", name, addr, err)
		}
		return handshake(ctx, conn, addr, cfg, nil)
	}
	jump, err := f.Dial(ctx, h.Bastion)
	if err != nil {
		return nil, fmt.Errorf("dial %s via %s: %w", name, h.Bastion, err)
	}
	conn, err := jump.DialContext(ctx, "tcp", addr)
	if err != nil {
		jump.Close()
		return nil, fmt.Errorf("dial %s (%s) via %s: %w", name, addr, h.Bastion, err)
	}
	return handshake(ctx, conn, addr, cfg, jump)
}

// handshake runs the SSH handshake on conn, bounded by ctx and cfg.Timeout.
// jump (may be nil) is closed with the returned client.
func handshake(ctx context.Context, conn net.Conn, addr string, cfg *ssh.ClientConfig, jump *ssh.Client) (*ssh.Client, error) {
	// A timer, not conn deadlines: channels through a bastion have none.
	timeout := cfg.Timeout
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = time.Until(d)
	}
	t := time.AfterFunc(timeout, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if !t.Stop() && err == nil {
		err = fmt.Errorf("timed out after %s", timeout)
		c.Close()
	}
	if err != nil {
		conn.Close()
		if jump != nil {
			jump.Close()
		}
		return nil, fmt.Errorf("ssh handshake with %s: %w", addr, err)
	}
	client := ssh.NewClient(c, chans, reqs)
	if jump != nil {
		go func() { _ = client.Wait(); jump.Close() }()
	}
	return client, nil
}

// ExecError is a command that ran and exited non-zero.
type ExecError struct {
	Host     string
	Cmd      string
	ExitCode int
	Stderr   string
}

func (e *ExecError) Error() string {
	return fmt.Sprintf("%s: %q exited %d: %s", e.Host, e.Cmd, e.ExitCode, strings.TrimSpace(e.Stderr))
}

// Exec runs cmd on the named host over a fresh SSH connection (x/crypto/ssh,
// host key verified) and returns its stdout. A non-zero exit is an
// *ExecError carrying stderr.
func (f *Fleet) Exec(ctx context.Context, name, cmd string) (string, error) {
	client, err := f.Dial(ctx, name)
	if err != nil {
		return "", err
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return "", fmt.Errorf("%s: new session: %w", name, err)
	}
	defer sess.Close()
	var stdout, stderr bytes.Buffer
	sess.Stdout, sess.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	go func() { done <- sess.Run(cmd) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		client.Close()
		return stdout.String(), fmt.Errorf("%s: %q: %w", name, cmd, ctx.Err())
	}
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		return stdout.String(), &ExecError{Host: name, Cmd: cmd, ExitCode: exit.ExitStatus(), Stderr: stderr.String()}
	}
	if err != nil {
		return stdout.String(), fmt.Errorf("%s: %q: %w", name, cmd, err)
	}
	return stdout.String(), nil
}

// SSHCommand returns an OpenSSH client command for the named host that uses
// the fleet's ssh config (so the bastion-only host goes through ProxyJump).
func (f *Fleet) SSHCommand(ctx context.Context, name string, remote ...string) *exec.Cmd {
	args := append([]string{"-F", f.SSHConfigFile, name}, remote...)
	return exec.CommandContext(ctx, "ssh", args...)
}

// readBanner reads the SSH identification line from conn, closing conn
// when it takes longer than timeout (connections through an SSH channel
// have no deadlines).
func readBanner(conn net.Conn, timeout time.Duration) (string, error) {
	t := time.AfterFunc(timeout, func() { conn.Close() })
	defer t.Stop()
	line, err := bufio.NewReaderSize(conn, 256).ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(line, "SSH-") {
		return "", fmt.Errorf("not an SSH banner: %q", line)
	}
	return strings.TrimSpace(line), nil
}
