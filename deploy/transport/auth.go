package transport

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// defaultIdentities are tried, when present, if neither the inventory nor
// the ssh config names an identity file (OpenSSH's order).
var defaultIdentities = []string{"~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk", "~/.ssh/id_ed25519", "~/.ssh/id_ed25519_sk"}

// authSource holds what every handshake of one Dial shares: the agent
// connection and the password (asked for at most once per host).
type authSource struct {
	opts  DialOptions
	agent agent.ExtendedAgent
	conn  net.Conn

	mu        sync.Mutex
	passwords map[string]string
}

func newAuthSource(opts DialOptions) *authSource {
	a := &authSource{opts: opts, passwords: map[string]string{}}
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
		conn, err := net.Dial("unix", sock)
		if err != nil {
			slog.Debug("ssh-agent unavailable", "err", err)
		} else {
			a.conn, a.agent = conn, agent.NewClient(conn)
		}
	}
	return a
}

func (a *authSource) close() {
	if a.conn != nil {
		a.conn.Close()
	}
}

// methods returns the auth methods for one endpoint, in OpenSSH's order:
// public keys (identity files first, using the agent's copy when it holds
// it, then the agent's other keys), then password and keyboard-interactive.
func (a *authSource) methods(ep endpoint) ([]ssh.AuthMethod, error) {
	signers, err := a.signers(ep)
	if err != nil {
		return nil, err
	}
	var out []ssh.AuthMethod
	if len(signers) > 0 {
		out = append(out, ssh.PublicKeys(signers...))
	}
	if a.opts.PasswordEnv != "" || a.opts.PromptPassword != nil {
		out = append(out,
			ssh.PasswordCallback(func() (string, error) { return a.password(ep.display) }),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, echos []bool) ([]string, error) {
				answers := make([]string, len(questions))
				if len(questions) == 0 {
					return answers, nil
				}
				pw, err := a.password(ep.display)
				if err != nil {
					return nil, err
				}
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	return out, nil
}

func (a *authSource) password(host string) (string, error) {
	if a.opts.PasswordEnv != "" {
		if pw := os.Getenv(a.opts.PasswordEnv); pw != "" {
			return pw, nil
		}
		if a.opts.PromptPassword == nil {
			return "", fmt.Errorf("password variable %s is not set", a.opts.PasswordEnv)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if pw, ok := a.passwords[host]; ok {
		return pw, nil
	}
	pw, err := a.opts.PromptPassword(host)
	if err != nil {
		return "", fmt.Errorf("password prompt: %w", err)
	}
	a.passwords[host] = pw
	return pw, nil
}

// IdentityFileError: an identity file named by the inventory or the ssh
// config does not exist (an authentication failure, exit 4).
type IdentityFileError struct {
	Host, File string
}

func (e *IdentityFileError) Error() string {
	return fmt.Sprintf("identity file %s (for host %s) does not exist", e.File, e.Host)
}

func (a *authSource) signers(ep endpoint) ([]ssh.Signer, error) {
	var agentSigners []ssh.Signer
	if a.agent != nil {
		var err error
		if agentSigners, err = a.agent.Signers(); err != nil {
			slog.Debug("ssh-agent signers", "err", err)
		}
	}
	fromAgent := func(pub ssh.PublicKey) ssh.Signer {
		for _, s := range agentSigners {
			if bytes.Equal(s.PublicKey().Marshal(), pub.Marshal()) {
				return s
			}
		}
		return nil
	}
	var out []ssh.Signer
	used := map[string]bool{}
	add := func(s ssh.Signer) {
		k := string(s.PublicKey().Marshal())
		if !used[k] {
			used[k] = true
			out = append(out, s)
		}
	}
	for _, path := range ep.identities {
		s, err := loadIdentity(path, fromAgent)
		switch {
		case err == nil:
			add(s)
		case errors.Is(err, os.ErrNotExist) && !ep.explicitIdentity:
		case errors.Is(err, os.ErrNotExist):
			return nil, &IdentityFileError{Host: ep.display, File: path}
		default:
			slog.Warn("ssh identity file skipped", "host", ep.display, "file", path, "err", err)
		}
	}
	if ep.identitiesOnly && ep.explicitIdentity {
		return out, nil // IdentitiesOnly yes: not the agent's other keys
	}
	for _, s := range agentSigners {
		add(s)
	}
	return out, nil
}

// loadIdentity reads a private key file. A passphrase-protected key is
// usable only through the agent (matched by its .pub file).
func loadIdentity(path string, fromAgent func(ssh.PublicKey) ssh.Signer) (ssh.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := ssh.ParsePrivateKey(data)
	if err == nil {
		if as := fromAgent(s.PublicKey()); as != nil {
			return as, nil
		}
		return s, nil
	}
	var missing *ssh.PassphraseMissingError
	if !errors.As(err, &missing) {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	pub := missing.PublicKey
	if pub == nil {
		if pubData, perr := os.ReadFile(path + ".pub"); perr == nil {
			pub, _, _, _, _ = ssh.ParseAuthorizedKey(pubData)
		}
	}
	if pub != nil {
		if as := fromAgent(pub); as != nil {
			return as, nil
		}
	}
	return nil, fmt.Errorf("key is passphrase-protected and not loaded in ssh-agent")
}
