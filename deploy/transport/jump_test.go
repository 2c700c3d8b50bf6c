package transport

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/zdmctl/zdmctl/inventory"
)

func TestProxyJumpTwoHops(t *testing.T) {
	e := newEnv(t)
	// Default identity in the (temporary) HOME serves the jump hosts too.
	os.MkdirAll(filepath.Join(e.dir, ".ssh"), 0o700)
	keyData, _ := os.ReadFile(e.key)
	os.WriteFile(filepath.Join(e.dir, ".ssh", "id_ed25519"), keyData, 0o600)
	b1 := newTestServer(t, serverOpts{authorized: []ssh.PublicKey{e.signer.PublicKey()}})
	b2 := newTestServer(t, serverOpts{authorized: []ssh.PublicKey{e.signer.PublicKey()}})
	knownHostsFor(t, e.opts.KnownHostsFile, b1.port(), b1.hostKeys[0].PublicKey())
	knownHostsFor(t, e.opts.KnownHostsFile, b2.port(), b2.hostKeys[0].PublicKey())
	cfg := filepath.Join(e.dir, "config")
	os.WriteFile(cfg, []byte("Host target\n  HostName 127.0.0.1\n  Port "+strconv.Itoa(e.srv.port())+
		"\n  ProxyJump jumper@127.0.0.1:"+strconv.Itoa(b1.port())+",bastion2\nHost bastion2\n  HostName 127.0.0.1\n  User b2user\n  Port "+strconv.Itoa(b2.port())+"\n"), 0o600)
	opts := e.opts
	opts.SSHConfigFile = cfg
	c, err := dial(t, &inventory.Host{Name: "t", Address: "target", User: "tester"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRun(t, c, "echo via-jumps"); got != "via-jumps\n" {
		t.Fatalf("got %q", got)
	}
	u1, f1, _ := b1.snapshot()
	u2, f2, _ := b2.snapshot()
	if len(f1) != 1 || f1[0] != "127.0.0.1:"+strconv.Itoa(b2.port()) {
		t.Fatalf("bastion1 forwarded %v", f1)
	}
	if len(f2) != 1 || f2[0] != "127.0.0.1:"+strconv.Itoa(e.srv.port()) {
		t.Fatalf("bastion2 forwarded %v", f2)
	}
	if u1[0] != "jumper" || u2[0] != "b2user" || e.srv.lastUser() != "tester" {
		t.Fatalf("users %v %v %v", u1, u2, e.srv.lastUser())
	}
	// Files work through the jumps as well.
	p := filepath.Join(t.TempDir(), "f")
	if err := c.WriteFile(context.Background(), p, stringsReader("x"), FileOptions{}); err != nil {
		t.Fatal(err)
	}
	// A jump host with an unknown key is refused, naming the jump host.
	os.WriteFile(e.opts.KnownHostsFile, nil, 0o600)
	knownHostsFor(t, e.opts.KnownHostsFile, b1.port(), b1.hostKeys[0].PublicKey())
	_, err = dial(t, &inventory.Host{Name: "t", Address: "target", User: "tester"}, opts)
	var unknown *HostKeyUnknownError
	if !asErr(err, &unknown) || unknown.Addr != "[127.0.0.1]:"+strconv.Itoa(b2.port()) {
		t.Fatalf("err = %v", err)
	}
}

// freezer is a TCP relay that can stop forwarding (a dead network path).
type freezer struct {
	ln     net.Listener
	mu     sync.Mutex
	frozen bool
	thaw   chan struct{}
}

func newFreezer(t *testing.T, target string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, thaw: make(chan struct{})}
	t.Cleanup(func() { ln.Close(); f.mu.Lock(); close(f.thaw); f.mu.Unlock() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			go f.pipe(c, s)
			go f.pipe(s, c)
		}
	}()
	return f
}

func (f *freezer) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		f.mu.Lock()
		frozen := f.frozen
		f.mu.Unlock()
		if frozen {
			<-f.thaw
			return
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

func (f *freezer) freeze() { f.mu.Lock(); f.frozen = true; f.mu.Unlock() }

func TestKeepaliveDetectsDeadConnection(t *testing.T) {
	e := newEnv(t)
	fr := newFreezer(t, e.srv.ln.Addr().String())
	port := fr.ln.Addr().(*net.TCPAddr).Port
	knownHostsFor(t, e.opts.KnownHostsFile, port, e.srv.hostKeys[0].PublicKey())
	h := e.host()
	h.Port = port
	opts := e.opts
	opts.KeepAlive = 20 * time.Millisecond
	c, err := dial(t, h, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, c, "true") // alive, keepalives answered
	fr.freeze()
	_, err = c.Exec(context.Background(), "true", ExecOptions{})
	if !IsUnreachable(err) || !strings.Contains(err.Error(), "keepalive") {
		t.Fatalf("err = %v", err)
	}
	if _, err := c.ReadFile(context.Background(), "/etc/hostname", false); !IsUnreachable(err) {
		t.Fatalf("ReadFile after death: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

func TestServerGoneIsUnreachable(t *testing.T) {
	e := newEnv(t)
	c, err := dial(t, e.host(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	ssh := c.(*SSH)
	ssh.client.Conn.Close() // as if the peer reset the connection
	_, err = c.Exec(context.Background(), "true", ExecOptions{})
	if !IsUnreachable(err) {
		t.Fatalf("err = %v", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

var _ io.Reader = errReader{}
