package transport

import (
	"bytes"
	"errors"
	"golang.org/x/crypto/ssh"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/inventory"
)

// The ssh config's UserKnownHostsFile is where host keys are looked up and
// recorded when --known-hosts is not given; StrictHostKeyChecking
// accept-new records an unknown key as ssh does.
func TestSSHConfigKnownHostsAndAcceptNew(t *testing.T) {
	e := newEnv(t)
	kh := filepath.Join(e.dir, "fleet_known_hosts")
	cfg := filepath.Join(e.dir, "config")
	write := func(extra string) {
		t.Helper()
		content := "Host 127.0.0.1\n  UserKnownHostsFile " + kh + "\n" + extra
		if err := os.WriteFile(cfg, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	opts := e.opts
	opts.KnownHostsFile = "" // not given: the config decides
	opts.SSHConfigFile = cfg

	// Only the config's file is read: e.opts.KnownHostsFile (which knows
	// the host) is not the one, so the host is unknown, and the message
	// names the config's file.
	write("")
	_, err := dial(t, e.host(), opts)
	var unknown *HostKeyUnknownError
	if !errors.As(err, &unknown) || unknown.File != kh || !strings.Contains(err.Error(), "--accept-new-host-keys") ||
		!strings.Contains(err.Error(), "--known-hosts") || !strings.Contains(err.Error(), "ssh-keyscan -p "+strconv.Itoa(e.srv.port())+" 127.0.0.1 >> "+kh) {
		t.Fatalf("err = %v", err)
	}
	write("  StrictHostKeyChecking accept-new\n")
	c, err := dial(t, e.host(), opts)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, c, "true")
	data, _ := os.ReadFile(kh)
	if !strings.Contains(string(data), "[127.0.0.1]:"+strconv.Itoa(e.srv.port())) {
		t.Fatalf("accept-new did not record the key in the config's file:\n%s", data)
	}
	// --known-hosts wins over the config.
	opts.KnownHostsFile = filepath.Join(e.dir, "empty")
	write("")
	if _, err := dial(t, e.host(), opts); !errors.As(err, &unknown) || unknown.File != opts.KnownHostsFile {
		t.Fatalf("--known-hosts not honoured first: %v", err)
	}
}

// The fix for a changed key names the file that holds the old key.
func TestChangedHostKeyFixNamesFile(t *testing.T) {
	e := newEnv(t)
	old := newEd25519Signer(t)
	other := filepath.Join(e.dir, "elsewhere")
	os.Remove(e.opts.KnownHostsFile)
	knownHostsFor(t, other, e.srv.port(), old.PublicKey())
	opts := e.opts
	opts.KnownHostsFile = other
	_, err := dial(t, e.host(), opts)
	want := "ssh-keygen -R '[127.0.0.1]:" + strconv.Itoa(e.srv.port()) + "' -f '" + other + "'"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("want %q in: %v", want, err)
	}
}

func TestMissingIdentityFileNamesFileAndHost(t *testing.T) {
	e := newEnv(t)
	h := e.host()
	h.IdentityFile = filepath.Join(e.dir, "no-such-key")
	_, err := dial(t, h, e.opts)
	var ae *AuthError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), h.IdentityFile) || !strings.Contains(err.Error(), "h1") || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("err = %v", err)
	}
}

// IdentitiesOnly yes: the agent's other keys are not offered.
func TestIdentitiesOnly(t *testing.T) {
	e := newEnv(t)
	_, _, priv := clientKey(t, t.TempDir())
	signer, _ := ssh.NewSignerFromKey(priv)
	srv := newTestServer(t, serverOpts{authorized: []ssh.PublicKey{signer.PublicKey()}})
	knownHostsFor(t, e.opts.KnownHostsFile, srv.port(), srv.hostKeys[0].PublicKey())
	sock := serveAgent(t, e.dir, priv)
	t.Setenv("SSH_AUTH_SOCK", sock)
	cfg := filepath.Join(e.dir, "config")
	// e.key exists but is not authorized on srv.
	os.WriteFile(cfg, []byte("Host 127.0.0.1\n  IdentityFile "+e.key+"\n"), 0o600)
	opts := e.opts
	opts.SSHConfigFile = cfg
	h := &inventory.Host{Name: "io", Address: "127.0.0.1", Port: srv.port(), User: "tester"}
	c, err := dial(t, h, opts)
	if err != nil {
		t.Fatalf("without IdentitiesOnly the agent's key should work: %v", err)
	}
	c.Close()
	os.WriteFile(cfg, []byte("Host 127.0.0.1\n  IdentityFile "+e.key+"\n  IdentitiesOnly yes\n"), 0o600)
	if _, err := dial(t, h, opts); err == nil {
		t.Fatal("IdentitiesOnly yes still offered the agent's key")
	}
}

func TestHostBlockMatchingNameOnlyWarns(t *testing.T) {
	e := newEnv(t)
	cfg := filepath.Join(e.dir, "config")
	os.WriteFile(cfg, []byte("# fleet\nHost proxy-*\n  User ops\nHost 127.0.0.1\n  Port "+strconv.Itoa(e.srv.port())+"\n"), 0o600)
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(prev)
	opts := e.opts
	opts.SSHConfigFile = cfg
	h := &inventory.Host{Name: "proxy-1", Address: "127.0.0.1", User: "tester", IdentityFile: e.key}
	c, err := dial(t, h, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, c, "true")
	c.Close()
	if got := e.srv.lastUser(); got != "tester" {
		t.Fatalf("user %q: the name-only block applied", got)
	}
	out := buf.String()
	if !strings.Contains(out, cfg+":2: Host proxy-*") || !strings.Contains(out, "proxy-1") || !strings.Contains(out, "127.0.0.1") {
		t.Fatalf("no warning naming the block and the host:\n%s", out)
	}
	if strings.Contains(out, "Host 127.0.0.1") {
		t.Fatalf("warned about a block that matches the address:\n%s", out)
	}
}
