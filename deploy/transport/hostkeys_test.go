package transport

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/zdmctl/zdmctl/inventory"
)

func TestUnknownHostRefused(t *testing.T) {
	e := newEnv(t)
	os.Remove(e.opts.KnownHostsFile)
	_, err := dial(t, e.host(), e.opts)
	var ae *AuthError
	var unknown *HostKeyUnknownError
	if !errors.As(err, &ae) || !errors.As(err, &unknown) {
		t.Fatalf("err = %v (%T)", err, err)
	}
	fp := ssh.FingerprintSHA256(e.srv.hostKeys[0].PublicKey())
	if !strings.Contains(err.Error(), fp) || !strings.Contains(err.Error(), "[127.0.0.1]:"+strconv.Itoa(e.srv.port())) {
		t.Fatalf("error lacks fingerprint or address: %v", err)
	}
	if _, err := os.Stat(e.opts.KnownHostsFile); !os.IsNotExist(err) {
		t.Fatalf("known_hosts written when refusing: %v", err)
	}
	// Same with a known_hosts that exists but does not list the host.
	os.WriteFile(e.opts.KnownHostsFile, []byte("# empty\n"), 0o600)
	if _, err := dial(t, e.host(), e.opts); !errors.As(err, &unknown) {
		t.Fatalf("err = %v", err)
	}
}

func TestAcceptNewRecordsThenAccepts(t *testing.T) {
	e := newEnv(t)
	os.WriteFile(e.opts.KnownHostsFile, []byte("otherhost ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGqjI4hMNbYwqfV0Bss2dxWmWrfmRFiLiczQCQFTwR6V"), 0o600) // no trailing newline
	opts := e.opts
	opts.AcceptNewHostKeys = true
	// Several parallel dials record the host once.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := Dial(t.Context(), e.host(), opts)
			if err == nil {
				c.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(e.opts.KnownHostsFile)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	want := knownhosts.Line([]string{"[127.0.0.1]:" + strconv.Itoa(e.srv.port())}, e.srv.hostKeys[0].PublicKey())
	if len(lines) != 2 || lines[1] != want || !strings.HasPrefix(lines[0], "otherhost ") {
		t.Fatalf("known_hosts:\n%s\nwant second line %s", data, want)
	}
	// Now known: accepted without accept-new.
	c, err := dial(t, e.host(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, c, "true")
}

func TestChangedHostKeyIsHardError(t *testing.T) {
	e := newEnv(t)
	old := newEd25519Signer(t)
	os.Remove(e.opts.KnownHostsFile)
	knownHostsFor(t, e.opts.KnownHostsFile, e.srv.port(), old.PublicKey())
	for _, accept := range []bool{false, true} {
		opts := e.opts
		opts.AcceptNewHostKeys = accept
		_, err := dial(t, e.host(), opts)
		var ae *AuthError
		var changed *HostKeyChangedError
		if !errors.As(err, &ae) || !errors.As(err, &changed) {
			t.Fatalf("accept=%v: err = %v", accept, err)
		}
		msg := err.Error()
		for _, want := range []string{ssh.FingerprintSHA256(old.PublicKey()), ssh.FingerprintSHA256(e.srv.hostKeys[0].PublicKey()),
			"[127.0.0.1]:" + strconv.Itoa(e.srv.port()), "CHANGED", e.opts.KnownHostsFile + ":1"} {
			if !strings.Contains(msg, want) {
				t.Errorf("accept=%v: error lacks %q: %s", accept, want, msg)
			}
		}
	}
	data, _ := os.ReadFile(e.opts.KnownHostsFile)
	if strings.Count(string(data), "\n") != 1 {
		t.Fatalf("known_hosts modified:\n%s", data)
	}
}

// golang/go#29286: a server with two host key types, known_hosts holding only
// one. Without steering HostKeyAlgorithms the server may present the other
// type and a naive knownhosts check reports a mismatch.
func TestHostKeyAlgorithmsFollowKnownHosts(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("SSH_AUTH_SOCK", "")
	key, signer, _ := clientKey(t, dir)
	ed, ec := newEd25519Signer(t), newECDSASigner(t)
	srv := newTestServer(t, serverOpts{hostKeys: []ssh.Signer{ed, ec}, authorized: []ssh.PublicKey{signer.PublicKey()}})
	naiveFailed := false
	for _, known := range []ssh.Signer{ed, ec} {
		kh := filepath.Join(t.TempDir(), "known_hosts")
		knownHostsFor(t, kh, srv.port(), known.PublicKey())
		h := &inventory.Host{Name: "multi", Address: "127.0.0.1", Port: srv.port(), User: "tester", IdentityFile: key}
		c, err := dial(t, h, DialOptions{KnownHostsFile: kh, SSHConfigFile: "none"})
		if err != nil {
			t.Fatalf("known %s: %v", known.PublicKey().Type(), err)
		}
		mustRun(t, c, "true")

		cb, _ := knownhosts.New(kh)
		nc, err := ssh.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.port())),
			&ssh.ClientConfig{User: "tester", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: cb})
		if err != nil {
			naiveFailed = true
		} else {
			nc.Close()
		}
	}
	if !naiveFailed {
		t.Fatal("scenario not reproduced: a naive client never saw the unknown key type")
	}
}

func TestHostKeyAlgorithmsOrder(t *testing.T) {
	ed, ec := newEd25519Signer(t), newECDSASigner(t)
	got := hostKeyAlgorithms([]knownhosts.KnownKey{{Key: ec.PublicKey()}, {Key: ed.PublicKey()}})
	if len(got) < 3 || got[0] != ssh.KeyAlgoECDSA256 || got[1] != ssh.KeyAlgoED25519 {
		t.Fatalf("got %v", got)
	}
	if got := hostKeyAlgorithms(nil); got[0] != ssh.KeyAlgoED25519 || got[1] != ssh.KeyAlgoECDSA256 {
		t.Fatalf("want OpenSSH's order when nothing is known, got %v", got)
	}
}

func TestDefaultKnownHostsFiles(t *testing.T) {
	e := newEnv(t) // HOME is e.dir, with no ~/.ssh yet
	sys := filepath.Join(t.TempDir(), "ssh_known_hosts")
	old := systemKnownHosts
	systemKnownHosts = sys
	t.Cleanup(func() { systemKnownHosts = old })
	opts := e.opts
	opts.KnownHostsFile = ""
	var unknown *HostKeyUnknownError
	if _, err := dial(t, e.host(), opts); !errors.As(err, &unknown) || unknown.File != filepath.Join(e.dir, ".ssh", "known_hosts") {
		t.Fatalf("err = %v", err)
	}
	// Known system-wide: accepted, the user's file untouched.
	knownHostsFor(t, sys, e.srv.port(), e.srv.hostKeys[0].PublicKey())
	if _, err := dial(t, e.host(), opts); err != nil {
		t.Fatal(err)
	}
	os.Remove(sys)
	// accept-new records into ~/.ssh/known_hosts, creating ~/.ssh.
	opts.AcceptNewHostKeys = true
	if _, err := dial(t, e.host(), opts); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(e.dir, ".ssh"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("~/.ssh: %v %v", fi, err)
	}
	if fi, err := os.Stat(filepath.Join(e.dir, ".ssh", "known_hosts")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("known_hosts: %v %v", fi, err)
	}
}

func TestAcceptNewRecordsOpenSSHPreferredType(t *testing.T) {
	e := newEnv(t)
	ed, ec := newEd25519Signer(t), newECDSASigner(t)
	srv := newTestServer(t, serverOpts{hostKeys: []ssh.Signer{ec, ed}, authorized: []ssh.PublicKey{e.signer.PublicKey()}})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	h := &inventory.Host{Name: "n", Address: "127.0.0.1", Port: srv.port(), User: "tester", IdentityFile: e.key}
	if _, err := dial(t, h, DialOptions{KnownHostsFile: kh, SSHConfigFile: "none", AcceptNewHostKeys: true}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(kh)
	if !strings.Contains(string(data), " ssh-ed25519 ") {
		t.Fatalf("recorded %s", data)
	}
}
