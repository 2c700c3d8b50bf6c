package transport

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyUnknownError: the host is not in known_hosts and new keys are not
// accepted. It is wrapped in an AuthError.
type HostKeyUnknownError struct {
	Addr        string // known_hosts form: host or [host]:port
	Fingerprint string // SHA256:...
	KeyType     string
	File        string
}

func (e *HostKeyUnknownError) Error() string {
	host, port := e.Addr, "22"
	if h, p, err := net.SplitHostPort(e.Addr); err == nil && strings.HasPrefix(e.Addr, "[") {
		host, port = h, p
	}
	return fmt.Sprintf("host key for %s is not known (%s key %s) and %s has no entry for it: verify the fingerprint, then add it (ssh-keyscan -p %s %s >> %s) or run again with --accept-new-host-keys; keys kept in another file: --known-hosts FILE",
		e.Addr, e.KeyType, e.Fingerprint, e.File, port, host, e.File)
}

// HostKeyChangedError: known_hosts holds other keys for the host than the
// one it presented. It is wrapped in an AuthError and never overridden.
type HostKeyChangedError struct {
	Addr  string
	Known []knownhosts.KnownKey
	Got   ssh.PublicKey
}

func (e *HostKeyChangedError) Error() string {
	var known []string
	for _, k := range e.Known {
		known = append(known, fmt.Sprintf("%s (%s, %s:%d)", ssh.FingerprintSHA256(k.Key), k.Key.Type(), k.Filename, k.Line))
	}
	var files []string
	for _, k := range e.Known {
		if !slices.Contains(files, k.Filename) {
			files = append(files, k.Filename)
		}
	}
	var fixes []string
	for _, f := range files {
		fixes = append(fixes, fmt.Sprintf("ssh-keygen -R '%s' -f '%s'", e.Addr, f))
	}
	return fmt.Sprintf("HOST KEY CHANGED for %s: known_hosts has %s, the server presented %s (%s); this may be a man-in-the-middle attack or a reinstalled host; if the change is expected, remove the old key with: %s (--accept-new-host-keys never replaces a changed key)",
		e.Addr, strings.Join(known, ", "), ssh.FingerprintSHA256(e.Got), e.Got.Type(), strings.Join(fixes, "; "))
}

// knownHostsLocks serialises reading and appending each known_hosts file
// within this process (hosts are dialed in parallel).
var knownHostsLocks sync.Map // path -> *sync.Mutex

func lockFile(path string) func() {
	m, _ := knownHostsLocks.LoadOrStore(path, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// hostKeyChecker verifies host keys of one endpoint against a known_hosts file.
type hostKeyChecker struct {
	file      string   // the user's known_hosts: read and appended to
	extra     []string // read only
	acceptNew bool
	hash      bool // record hashed host names (HashKnownHosts yes)
	explicit  bool // file given by --known-hosts: the ssh config does not override it
}

// forEndpoint applies the ssh config's UserKnownHostsFile (unless
// --known-hosts was given), StrictHostKeyChecking (accept-new, no and off
// record unknown keys; a changed key is always refused) and HashKnownHosts.
func (c *hostKeyChecker) forEndpoint(ep endpoint) *hostKeyChecker {
	out := *c
	out.hash = ep.hashKnownHosts
	if !c.explicit && len(ep.knownHosts) > 0 {
		out.file, out.extra = ep.knownHosts[0], append(ep.knownHosts[1:len(ep.knownHosts):len(ep.knownHosts)], systemKnownHosts)
	}
	switch ep.strict {
	case "accept-new", "no", "off":
		out.acceptNew = true
	}
	return &out
}

func (c *hostKeyChecker) load() (ssh.HostKeyCallback, error) {
	return loadKnownHosts(append([]string{c.file}, c.extra...)...)
}

// systemKnownHosts is read (never written) besides the user's file when
// DialOptions.KnownHostsFile is left at its default, as OpenSSH does.
var systemKnownHosts = "/etc/ssh/ssh_known_hosts"

// loadKnownHosts returns a knownhosts callback over the files that exist, or
// nil if none does (every host unknown).
func loadKnownHosts(files ...string) (ssh.HostKeyCallback, error) {
	var existing []string
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			existing = append(existing, f)
		}
	}
	if len(existing) == 0 {
		return nil, nil
	}
	cb, err := knownhosts.New(existing...)
	if err != nil {
		return nil, fmt.Errorf("known_hosts: %w", err)
	}
	return cb, nil
}

// knownKeys lists the keys recorded for addr (host:port).
func knownKeys(cb ssh.HostKeyCallback, addr string) []knownhosts.KnownKey {
	if cb == nil {
		return nil
	}
	// Probe with a throwaway key: the mismatch error lists every recorded key.
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil
	}
	probe, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil
	}
	var ke *knownhosts.KeyError
	if errors.As(cb(addr, probeAddr(addr), probe), &ke) {
		return ke.Want
	}
	return nil
}

func probeAddr(addr string) net.Addr {
	if a, err := net.ResolveTCPAddr("tcp", addr); err == nil && a.IP != nil {
		return a
	}
	return &net.TCPAddr{IP: net.IPv4zero, Port: 22}
}

// openSSHHostKeyOrder is OpenSSH's preference among plain host key
// algorithms (ed25519 first), used instead of x/crypto's (ECDSA first) so
// that a new host gets recorded with the key type ssh would record.
var openSSHHostKeyOrder = []string{
	ssh.KeyAlgoED25519,
	ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
}

// hostKeyAlgorithms returns the algorithms to offer: those of the keys
// already recorded for the host first, so that a server with several host
// keys presents the one we know (golang/go#29286), then OpenSSH's order,
// then whatever else the library supports.
func hostKeyAlgorithms(known []knownhosts.KnownKey) []string {
	var algos []string
	add := func(a string) {
		for _, x := range algos {
			if x == a {
				return
			}
		}
		algos = append(algos, a)
	}
	for _, k := range known {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			add(ssh.KeyAlgoRSASHA512)
			add(ssh.KeyAlgoRSASHA256)
		default:
			add(t)
		}
	}
	for _, a := range openSSHHostKeyOrder {
		add(a)
	}
	for _, a := range ssh.SupportedAlgorithms().HostKeys {
		add(a)
	}
	return algos
}

// callback returns the HostKeyCallback for one handshake.
func (c *hostKeyChecker) callback(base ssh.HostKeyCallback) ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := c.check(base, hostname, remote, key)
		if err == nil || !c.isUnknown(err) || !c.acceptNew {
			return err
		}
		return c.record(hostname, remote, key)
	}
}

func (c *hostKeyChecker) isUnknown(err error) bool {
	var u *HostKeyUnknownError
	return errors.As(err, &u)
}

func (c *hostKeyChecker) check(cb ssh.HostKeyCallback, hostname string, remote net.Addr, key ssh.PublicKey) error {
	addr := knownhosts.Normalize(hostname)
	unknown := &HostKeyUnknownError{Addr: addr, Fingerprint: ssh.FingerprintSHA256(key), KeyType: key.Type(), File: c.file}
	if cb == nil {
		return unknown
	}
	err := cb(hostname, remote, key)
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ke) && len(ke.Want) == 0:
		return unknown
	case errors.As(err, &ke):
		return &HostKeyChangedError{Addr: addr, Known: ke.Want, Got: key}
	case errors.As(err, &re):
		return fmt.Errorf("host key for %s (%s) is marked @revoked in %s:%d", addr, ssh.FingerprintSHA256(key), re.Revoked.Filename, re.Revoked.Line)
	}
	return fmt.Errorf("check host key for %s: %w", addr, err)
}

// record appends key for hostname to the known_hosts file (plain host name,
// [host]:port for ports other than 22), as OpenSSH's accept-new does.
func (c *hostKeyChecker) record(hostname string, remote net.Addr, key ssh.PublicKey) error {
	unlock := lockFile(c.file)
	defer unlock()
	// Another connection may have recorded this host meanwhile.
	cb, err := c.load()
	if err != nil {
		return err
	}
	if err := c.check(cb, hostname, remote, key); err == nil || !c.isUnknown(err) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.file), 0o700); err != nil {
		return fmt.Errorf("record host key: %w", err)
	}
	name := knownhosts.Normalize(hostname)
	if c.hash {
		name = knownhosts.HashHostname(name)
	}
	line := knownhosts.Line([]string{name}, key) + "\n"
	if old, err := os.ReadFile(c.file); err == nil && len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
		line = "\n" + line
	}
	f, err := os.OpenFile(c.file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("record host key: %w", err)
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("record host key in %s: %w", c.file, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	slog.Info("permanently added host key to known_hosts", "host", knownhosts.Normalize(hostname), "key", ssh.FingerprintSHA256(key), "file", c.file)
	return nil
}
