package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/zdmctl/zdmctl/inventory"
)

// DialOptions tune how hosts are reached.
type DialOptions struct {
	KnownHostsFile    string // default ~/.ssh/known_hosts
	AcceptNewHostKeys bool   // record unknown host keys instead of refusing them
	SSHConfigFile     string // default ~/.ssh/config; "none" disables it
	// PasswordEnv names an environment variable holding the SSH password.
	PasswordEnv string
	// PromptPassword asks the operator for a password; nil disables prompting.
	PromptPassword func(host string) (string, error)
	Timeout        time.Duration // dial + handshake timeout; default 10s
	KeepAlive      time.Duration // keepalive interval; default 15s
}

const (
	defaultTimeout   = 10 * time.Second
	defaultKeepAlive = 15 * time.Second
)

// Dial connects to h: Local for connection "local", SSH otherwise.
//
// SSH follows OpenSSH: ~/.ssh/config Host entries (HostName, User, Port,
// IdentityFile, ProxyJump) apply to the host's address and to each jump
// host; inventory fields win over the config; host keys are checked against
// known_hosts (unknown hosts are refused unless AcceptNewHostKeys, changed
// keys always are). Failures to reach the host are *UnreachableError;
// authentication and host key failures are *AuthError.
func Dial(ctx context.Context, h *inventory.Host, opts DialOptions) (Conn, error) {
	if h.Connection == "local" {
		return NewLocal(h.Name), nil
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = defaultKeepAlive
	}
	checker := &hostKeyChecker{file: opts.KnownHostsFile, acceptNew: opts.AcceptNewHostKeys, explicit: opts.KnownHostsFile != ""}
	if checker.file == "" {
		checker.file = "~/.ssh/known_hosts"
		checker.extra = []string{systemKnownHosts}
	}
	checker.file = expandTilde(checker.file)
	var cfg *sshConfig
	if opts.SSHConfigFile != "none" {
		paths := []string{expandTilde(opts.SSHConfigFile)}
		if opts.SSHConfigFile == "" {
			paths = []string{expandTilde("~/.ssh/config"), systemSSHConfig}
		}
		var err error
		if cfg, err = loadSSHConfig(paths...); err != nil {
			return nil, &UnreachableError{Host: h.Name, Err: err}
		}
	}
	alias := h.Address
	if alias == "" {
		alias = h.Name // like ssh: the name is the address unless HostName says otherwise
	}
	warnNameOnlyBlocks(cfg, h.Name, alias)
	target := resolveEndpoint(cfg, alias, h.Port, h.User, h.IdentityFile)
	target.display = h.Name // password prompts and logs use the inventory name
	if target.proxyCommand != "" && target.proxyJump == "" {
		return nil, &UnreachableError{Host: h.Name, Err: fmt.Errorf("ssh config sets ProxyCommand for %s: not supported, use ProxyJump", alias)}
	}
	hops, err := jumpHosts(cfg, target.proxyJump)
	if err != nil {
		return nil, &UnreachableError{Host: h.Name, Err: err}
	}
	auth := newAuthSource(opts)
	defer auth.close()

	var clients []*ssh.Client
	closeAll := func() {
		for i := len(clients) - 1; i >= 0; i-- {
			clients[i].Close()
		}
	}
	for i, ep := range append(hops, target) {
		var prev *ssh.Client
		if len(clients) > 0 {
			prev = clients[len(clients)-1]
		}
		c, err := connectEndpoint(ctx, prev, ep, auth, checker, opts)
		if err != nil {
			closeAll()
			if len(hops) > 0 {
				err = fmt.Errorf("%s: %w", describeChain(hops, i), err)
			}
			return nil, classify(h.Name, err)
		}
		clients = append(clients, c)
	}
	client := clients[len(clients)-1]
	return newSSHConn(h.Name, target.user, client, clients[:len(clients)-1], opts.KeepAlive), nil
}

// endpoint is one SSH server to authenticate to (the target or a jump host).
type endpoint struct {
	display          string // inventory name for the target, host as written for a jump
	host             string // after HostName
	port             int
	user             string
	identities       []string
	explicitIdentity bool
	proxyJump        string
	proxyCommand     string
	hashKnownHosts   bool
	knownHosts       []string // UserKnownHostsFile from the ssh config
	strict           string   // StrictHostKeyChecking from the ssh config
	identitiesOnly   bool
}

func (e endpoint) addr() string { return net.JoinHostPort(e.host, strconv.Itoa(e.port)) }

// resolveEndpoint applies the ssh config for alias under explicit settings
// (port 0 or 22, user "" and identity "" mean "not set").
func resolveEndpoint(cfg *sshConfig, alias string, port int, userName, identity string) endpoint {
	hc := cfg.lookup(alias)
	ep := endpoint{display: alias, host: alias, port: port, user: userName, proxyJump: hc.ProxyJump,
		hashKnownHosts: hc.HashKnownHosts, strict: hc.StrictHostKeyChecking, identitiesOnly: hc.IdentitiesOnly}
	for _, f := range hc.UserKnownHostsFiles {
		ep.knownHosts = append(ep.knownHosts, expandIdentity(f, alias, userName))
	}
	if !strings.EqualFold(hc.ProxyCommand, "none") {
		ep.proxyCommand = hc.ProxyCommand
	}
	if hc.HostName != "" {
		ep.host = hc.HostName
	}
	ep.host = strings.ToLower(ep.host) // as ssh does, also for known_hosts
	if (ep.port == 0 || ep.port == 22) && hc.Port != 0 {
		ep.port = hc.Port
	}
	if ep.port == 0 {
		ep.port = 22
	}
	if ep.user == "" {
		ep.user = hc.User
	}
	if ep.user == "" {
		ep.user = localUser()
	}
	ids := defaultIdentities
	switch {
	case identity != "":
		ids, ep.explicitIdentity = []string{identity}, true
	case len(hc.IdentityFiles) > 0:
		ids, ep.explicitIdentity = hc.IdentityFiles, true
	}
	for _, id := range ids {
		ep.identities = append(ep.identities, expandIdentity(id, alias, ep.user))
	}
	return ep
}

func expandIdentity(p, host, remoteUser string) string {
	home, _ := os.UserHomeDir()
	p = strings.NewReplacer("%d", home, "%h", host, "%r", remoteUser, "%u", localUser(), "%%", "%").Replace(p)
	return expandTilde(p)
}

func localUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

// jumpHosts parses a ProxyJump value: comma-separated [user@]host[:port]
// (or ssh://[user@]host[:port]); "none" or "" means direct.
func jumpHosts(cfg *sshConfig, spec string) ([]endpoint, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" || strings.EqualFold(spec, "none") {
		return nil, nil
	}
	var out []endpoint
	for _, hop := range strings.Split(spec, ",") {
		hop = strings.TrimPrefix(strings.TrimSpace(hop), "ssh://")
		userName := ""
		if i := strings.LastIndex(hop, "@"); i >= 0 {
			userName, hop = hop[:i], hop[i+1:]
		}
		host, port := hop, 0
		if h, p, err := net.SplitHostPort(hop); err == nil {
			n, perr := strconv.Atoi(p)
			if perr != nil || n < 1 || n > 65535 {
				return nil, fmt.Errorf("ProxyJump %q: bad port %q", spec, p)
			}
			host, port = h, n
		}
		if host == "" {
			return nil, fmt.Errorf("ProxyJump %q: empty host", spec)
		}
		ep := resolveEndpoint(cfg, host, port, userName, "")
		ep.proxyJump = ""
		out = append(out, ep)
	}
	return out, nil
}

func describeChain(hops []endpoint, failed int) string {
	var names []string
	for _, h := range hops {
		names = append(names, h.display)
	}
	if failed < len(hops) {
		return fmt.Sprintf("ProxyJump %s: jump host %s", strings.Join(names, ","), hops[failed].display)
	}
	return fmt.Sprintf("via ProxyJump %s", strings.Join(names, ","))
}

// connectEndpoint opens the TCP stream to ep (directly, or forwarded by the
// previous hop) and runs the SSH handshake, all within opts.Timeout.
func connectEndpoint(ctx context.Context, prev *ssh.Client, ep endpoint, auth *authSource, checker *hostKeyChecker, opts DialOptions) (*ssh.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	var conn net.Conn
	var err error
	if prev == nil {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", ep.addr())
	} else {
		conn, err = prev.DialContext(ctx, "tcp", ep.addr())
	}
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", ep.addr(), err)
	}
	epChecker := checker.forEndpoint(ep)
	knownCB, err := epChecker.load()
	if err != nil {
		conn.Close()
		return nil, &hostKeyError{err}
	}
	var keyErr error
	hostKeyCB := epChecker.callback(knownCB)
	methods, err := auth.methods(ep)
	if err != nil {
		conn.Close()
		return nil, err
	}
	cfg := &ssh.ClientConfig{
		User: ep.user,
		Auth: methods,
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			if err := hostKeyCB(hostname, remote, key); err != nil {
				keyErr = err
				return err
			}
			return nil
		},
		HostKeyAlgorithms: hostKeyAlgorithms(knownKeys(knownCB, ep.addr())),
		Timeout:           opts.Timeout,
	}
	type result struct {
		c     ssh.Conn
		chans <-chan ssh.NewChannel
		reqs  <-chan *ssh.Request
		err   error
	}
	done := make(chan result, 1)
	go func() {
		c, chans, reqs, err := ssh.NewClientConn(conn, ep.addr(), cfg)
		done <- result{c, chans, reqs, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			conn.Close()
			if keyErr != nil {
				return nil, &hostKeyError{keyErr}
			}
			return nil, r.err
		}
		return ssh.NewClient(r.c, r.chans, r.reqs), nil
	case <-ctx.Done():
		conn.Close()
		<-done
		return nil, fmt.Errorf("ssh handshake with %s: %w", ep.addr(), ctx.Err())
	}
}

// hostKeyError marks a host key verification failure for classify.
type hostKeyError struct{ err error }

func (e *hostKeyError) Error() string { return e.err.Error() }
func (e *hostKeyError) Unwrap() error { return e.err }

// classify maps a dial failure to AuthError (credentials, host keys) or
// UnreachableError (everything else).
func classify(host string, err error) error {
	var hk *hostKeyError
	var ie *IdentityFileError
	if errors.As(err, &hk) || errors.As(err, &ie) || strings.Contains(err.Error(), "unable to authenticate") ||
		strings.Contains(err.Error(), "no supported methods remain") {
		return &AuthError{Host: host, Err: err}
	}
	return &UnreachableError{Host: host, Err: err}
}
