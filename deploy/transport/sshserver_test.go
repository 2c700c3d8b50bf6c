package transport

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"

	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/zdmctl/zdmctl/inventory"
)

// TestMain doubles as a fake sftp-server (for become tests through a fake
// sudo): when ZDM_TEST_SFTP_SERVER is set it serves SFTP on stdin/stdout.
func TestMain(m *testing.M) {
	if os.Getenv("ZDM_TEST_SFTP_SERVER") == "1" {
		srv, err := sftp.NewServer(struct {
			io.Reader
			io.WriteCloser
		}{os.Stdin, os.Stdout})
		if err != nil {
			os.Exit(2)
		}
		_ = srv.Serve()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testServer is an in-process SSH server on 127.0.0.1 that runs exec
// requests with `sh -c`, serves the sftp subsystem and forwards
// direct-tcpip (so it can be a bastion).
type testServer struct {
	t        *testing.T
	ln       net.Listener
	cfg      *ssh.ServerConfig
	hostKeys []ssh.Signer
	env      []string // extra environment for commands

	mu        sync.Mutex
	maxOpen   int // most sessions open at once
	open      int
	forwarded []string // direct-tcpip targets
	users     []string
	cmds      []string // exec command lines, as a ps listing would show them
	conns     atomic.Int32
}

type serverOpts struct {
	hostKeys   []ssh.Signer
	authorized []ssh.PublicKey
	password   string
}

func newTestServer(t *testing.T, o serverOpts) *testServer {
	t.Helper()
	s := &testServer{t: t, hostKeys: o.hostKeys}
	s.cfg = &ssh.ServerConfig{
		PublicKeyCallback: func(md ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			for _, k := range o.authorized {
				if string(k.Marshal()) == string(key.Marshal()) {
					return nil, nil
				}
			}
			return nil, errors.New("key not authorized")
		},
	}
	if o.password != "" {
		s.cfg.PasswordCallback = func(md ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if string(pw) == o.password {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		}
	}
	if len(s.hostKeys) == 0 {
		s.hostKeys = []ssh.Signer{newEd25519Signer(t)}
	}
	for _, k := range s.hostKeys {
		s.cfg.AddHostKey(k)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	t.Cleanup(func() { ln.Close() })
	go s.serve()
	return s
}

func (s *testServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *testServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.handle(c)
	}
}

func (s *testServer) handle(nc net.Conn) {
	defer nc.Close()
	conn, chans, reqs, err := ssh.NewServerConn(nc, s.cfg)
	if err != nil {
		return
	}
	s.conns.Add(1)
	s.mu.Lock()
	s.users = append(s.users, conn.User())
	s.mu.Unlock()
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		switch nch.ChannelType() {
		case "session":
			ch, reqs, err := nch.Accept()
			if err != nil {
				continue
			}
			go s.session(ch, reqs)
		case "direct-tcpip":
			s.forward(nch)
		default:
			nch.Reject(ssh.UnknownChannelType, "unsupported")
		}
	}
}

func (s *testServer) forward(nch ssh.NewChannel) {
	var p struct {
		Host     string
		Port     uint32
		OrigHost string
		OrigPort uint32
	}
	if err := ssh.Unmarshal(nch.ExtraData(), &p); err != nil {
		nch.Reject(ssh.ConnectionFailed, "bad payload")
		return
	}
	target := net.JoinHostPort(p.Host, strconv.Itoa(int(p.Port)))
	tc, err := net.Dial("tcp", target)
	if err != nil {
		nch.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	s.mu.Lock()
	s.forwarded = append(s.forwarded, target)
	s.mu.Unlock()
	ch, reqs, err := nch.Accept()
	if err != nil {
		tc.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	go func() { io.Copy(ch, tc); ch.CloseWrite(); ch.Close() }()
	go func() { io.Copy(tc, ch); tc.(*net.TCPConn).CloseWrite() }()
}

func (s *testServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	// Closing the channel comes last, after the session stops counting as
	// open: the client may open the next session as soon as it sees it.
	defer ch.Close()
	s.mu.Lock()
	s.open++
	if s.open > s.maxOpen {
		s.maxOpen = s.open
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.open--
		s.mu.Unlock()
	}()
	var env []string
	var cmd *exec.Cmd
	for req := range reqs {
		switch req.Type {
		case "env":
			var kv struct{ K, V string }
			ssh.Unmarshal(req.Payload, &kv)
			env = append(env, kv.K+"="+kv.V)
			req.Reply(true, nil)
		case "exec":
			var p struct{ Cmd string }
			if err := ssh.Unmarshal(req.Payload, &p); err != nil {
				req.Reply(false, nil)
				return
			}
			req.Reply(true, nil)
			cmd = exec.Command("sh", "-c", p.Cmd)
			s.mu.Lock()
			s.cmds = append(s.cmds, p.Cmd)
			cmd.Env = append(append(os.Environ(), s.env...), env...)
			s.mu.Unlock()
			cmd.Stdin, cmd.Stdout, cmd.Stderr = ch, ch, ch.Stderr()
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			code := 0
			if err := cmd.Start(); err != nil {
				code = 127
			} else {
				go func() {
					for r := range reqs {
						if r.Type == "signal" {
							syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
						}
						if r.WantReply {
							r.Reply(false, nil)
						}
					}
				}()
				if err := cmd.Wait(); err != nil {
					var ee *exec.ExitError
					if errors.As(err, &ee) {
						code = ee.ExitCode()
					} else {
						code = 127
					}
				}
			}
			ch.SendRequest("exit-status", false, ssh.Marshal(struct{ C uint32 }{uint32(code)}))
			return
		case "subsystem":
			var p struct{ Name string }
			ssh.Unmarshal(req.Payload, &p)
			if p.Name != "sftp" {
				req.Reply(false, nil)
				return
			}
			req.Reply(true, nil)
			go ssh.DiscardRequests(reqs)
			srv, err := sftp.NewServer(ch)
			if err != nil {
				return
			}
			srv.Serve()
			return
		default:
			if req.WantReply {
				req.Reply(false, nil)
			}
		}
	}
}

func newEd25519Signer(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newECDSASigner(t *testing.T) ssh.Signer {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clientKey writes a fresh ed25519 private key in OpenSSH format and returns
// its path and signer.
func clientKey(t *testing.T, dir string) (string, ssh.Signer, ed25519.PrivateKey) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("id_%d", time0()))
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := ssh.NewSignerFromKey(priv)
	return path, s, priv
}

var keyCounter atomic.Int64

func time0() int64 { return keyCounter.Add(1) }

// knownHostsFor writes a known_hosts file holding keys for the server.
func knownHostsFor(t *testing.T, path string, port int, keys ...ssh.PublicKey) {
	t.Helper()
	addr := knownhosts.Normalize(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, k := range keys {
		fmt.Fprintln(f, knownhosts.Line([]string{addr}, k))
	}
}

// env is one isolated test setup: HOME, known_hosts, a client key and a
// server trusting it.
type env struct {
	dir    string
	key    string
	signer ssh.Signer
	srv    *testServer
	opts   DialOptions
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("SSH_AUTH_SOCK", "")
	key, signer, _ := clientKey(t, dir)
	srv := newTestServer(t, serverOpts{authorized: []ssh.PublicKey{signer.PublicKey()}})
	e := &env{dir: dir, key: key, signer: signer, srv: srv,
		opts: DialOptions{KnownHostsFile: filepath.Join(dir, "known_hosts"), SSHConfigFile: "none"}}
	for _, hk := range srv.hostKeys {
		knownHostsFor(t, e.opts.KnownHostsFile, srv.port(), hk.PublicKey())
	}
	return e
}

func (e *env) host() *inventory.Host {
	return &inventory.Host{Name: "h1", Address: "127.0.0.1", Port: e.srv.port(), User: "tester", IdentityFile: e.key, Connection: "ssh"}
}

func stringsReader(s string) io.Reader { return &stringReader{s: s} }

type stringReader struct{ s string }

func (r *stringReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p, r.s)
	r.s = r.s[n:]
	return n, nil
}

func asErr[T error](err error, target *T) bool { return errors.As(err, target) }

// snapshot returns copies of the server's records (safe while serving).
func (s *testServer) snapshot() (users, forwarded []string, maxOpen int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.users...), append([]string(nil), s.forwarded...), s.maxOpen
}

func (s *testServer) lastUser() string {
	u, _, _ := s.snapshot()
	if len(u) == 0 {
		return ""
	}
	return u[len(u)-1]
}

func (s *testServer) addEnv(kv string) {
	s.mu.Lock()
	s.env = append(s.env, kv)
	s.mu.Unlock()
}

func (s *testServer) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cmds...)
}
