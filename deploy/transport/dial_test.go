package transport

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/zdmctl/zdmctl/inventory"
)

func dial(t *testing.T, h *inventory.Host, opts DialOptions) (Conn, error) {
	t.Helper()
	c, err := Dial(context.Background(), h, opts)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func mustRun(t *testing.T, c Conn, cmd string) string {
	t.Helper()
	res, err := c.Exec(context.Background(), cmd, ExecOptions{})
	if err != nil {
		t.Fatalf("exec %q: %v", cmd, err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("exec %q: exit %d: %s", cmd, res.ExitCode, res.Stderr)
	}
	return string(res.Stdout)
}

func TestDialLocal(t *testing.T) {
	c, err := Dial(context.Background(), &inventory.Host{Name: "me", Connection: "local"}, DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*Local); !ok || c.Host() != "me" {
		t.Fatalf("got %T %s", c, c.Host())
	}
}

func TestKeyAuthExec(t *testing.T) {
	e := newEnv(t)
	c, err := dial(t, e.host(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Exec(context.Background(), `echo out; echo err >&2; read x; echo "in=$x"; exit 7`, ExecOptions{Stdin: strings.NewReader("hello\n")})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Stdout) != "out\nin=hello\n" || string(res.Stderr) != "err\n" || res.ExitCode != 7 {
		t.Fatalf("res = %q %q %d", res.Stdout, res.Stderr, res.ExitCode)
	}
	if got := mustRun(t, c, `printf '%s|%s' "$A" "$B"`); got != "|" {
		t.Fatalf("env leaked: %q", got)
	}
	res, err = c.Exec(context.Background(), `printf '%s|%s|' "$A" "$B"; cat`, ExecOptions{Env: map[string]string{"A": "it's", "B": " x\\y "},
		Stdin: strings.NewReader("rest of\nstdin")})
	if err != nil || string(res.Stdout) != "it's| x\\y |rest of\nstdin" {
		t.Fatalf("env: %q %v", res.Stdout, err)
	}
	res, err = c.Exec(context.Background(), `printf '%s' "$TOKEN"`, ExecOptions{Env: map[string]string{"TOKEN": "hunter2"}, Secret: true})
	if err != nil || string(res.Stdout) != "hunter2" {
		t.Fatalf("env: %q %v", res.Stdout, err)
	}
	for _, cmd := range e.srv.commands() {
		if strings.Contains(cmd, "hunter2") || strings.Contains(cmd, "it's") {
			t.Fatalf("env value on the command line: %s", cmd)
		}
	}
	if u := e.srv.lastUser(); u != "tester" {
		t.Fatalf("user %v", u)
	}
}

func TestExecUnreadStdin(t *testing.T) {
	e := newEnv(t)
	c, err := dial(t, e.host(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.NewReader(strings.Repeat("x", 8<<20))
	res, err := c.Exec(context.Background(), "exit 0", ExecOptions{Stdin: big})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("exit %d err %v", res.ExitCode, err)
	}
	res, err = c.Exec(context.Background(), "wc -c", ExecOptions{Stdin: strings.NewReader(strings.Repeat("y", 3<<20))})
	if err != nil || strings.TrimSpace(string(res.Stdout)) != "3145728" {
		t.Fatalf("wc: %q %v", res.Stdout, err)
	}
}

func TestWrongKeyIsAuthError(t *testing.T) {
	e := newEnv(t)
	h := e.host()
	h.IdentityFile, _, _ = clientKey(t, e.dir)
	_, err := dial(t, h, e.opts)
	var ae *AuthError
	if !errors.As(err, &ae) || IsUnreachable(err) {
		t.Fatalf("err = %v (%T)", err, err)
	}
}

func TestUnreachable(t *testing.T) {
	e := newEnv(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	h := e.host()
	h.Port = port
	_, err := dial(t, h, e.opts)
	if !IsUnreachable(err) {
		t.Fatalf("err = %v", err)
	}
}

func TestPasswordAuth(t *testing.T) {
	e := newEnv(t)
	srv := newTestServer(t, serverOpts{password: "pa55"})
	knownHostsFor(t, e.opts.KnownHostsFile, srv.port(), srv.hostKeys[0].PublicKey())
	h := &inventory.Host{Name: "pw", Address: "127.0.0.1", Port: srv.port(), User: "tester"}

	t.Setenv("ZDM_TEST_SSH_PASSWORD", "pa55")
	opts := e.opts
	opts.PasswordEnv = "ZDM_TEST_SSH_PASSWORD"
	c, err := dial(t, h, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, c, "true")

	opts = e.opts
	asked := 0
	opts.PromptPassword = func(host string) (string, error) {
		asked++
		if host != "pw" {
			t.Errorf("prompt for %q", host)
		}
		return "pa55", nil
	}
	c, err = dial(t, h, opts)
	if err != nil || asked != 1 {
		t.Fatalf("prompt: err %v asked %d", err, asked)
	}
	mustRun(t, c, "true")

	opts.PromptPassword = func(string) (string, error) { return "wrong", nil }
	_, err = dial(t, h, opts)
	var ae *AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("wrong password: %v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatalf("password in error: %v", err)
	}
}

func TestAgentAuth(t *testing.T) {
	e := newEnv(t)
	_, _, priv := clientKey(t, e.dir)
	signer, _ := ssh.NewSignerFromKey(priv)
	srv := newTestServer(t, serverOpts{authorized: []ssh.PublicKey{signer.PublicKey()}})
	knownHostsFor(t, e.opts.KnownHostsFile, srv.port(), srv.hostKeys[0].PublicKey())
	sock := serveAgent(t, e.dir, priv)
	h := &inventory.Host{Name: "ag", Address: "127.0.0.1", Port: srv.port(), User: "tester"}
	if _, err := dial(t, h, e.opts); err == nil {
		t.Fatal("connected without the agent")
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
	c, err := dial(t, h, e.opts)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, c, "true")
}

func TestSSHConfig(t *testing.T) {
	e := newEnv(t)
	cfg := filepath.Join(e.dir, "config")
	content := "# test\nHost other\n  User nobody\nHost prox?-*  !proxy-9\n  HostName 127.0.0.1\n  Port " + strconv.Itoa(e.srv.port()) +
		"\n  User cfguser\n  IdentityFile " + e.key + "\nHost *\n  User fallback\n  Port 1\n"
	if err := os.WriteFile(cfg, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := e.opts
	opts.SSHConfigFile = cfg
	h := &inventory.Host{Name: "p1", Address: "proxy-1", Port: 22}
	c, err := dial(t, h, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, c, "true")
	if got := e.srv.lastUser(); got != "cfguser" {
		t.Fatalf("user %q", got)
	}
	// The inventory's user wins over the config.
	h.User = "invuser"
	c, err = dial(t, h, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, c, "true")
	if got := e.srv.lastUser(); got != "invuser" {
		t.Fatalf("user %q", got)
	}
	// Negated pattern: proxy-9 falls to "Host *" (port 1: unreachable).
	if _, err := dial(t, &inventory.Host{Name: "p9", Address: "proxy-9"}, opts); !IsUnreachable(err) {
		t.Fatalf("proxy-9: %v", err)
	}
	// No address: the name is looked up in the config, as ssh does.
	c, err = dial(t, &inventory.Host{Name: "proxy-2"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, c, "true")
	// "none" disables the config.
	opts.SSHConfigFile = "none"
	if _, err := dial(t, &inventory.Host{Name: "p1", Address: "proxy-1", Port: 22}, opts); !IsUnreachable(err) {
		t.Fatalf("config not disabled: %v", err)
	}
}

func TestSSHConfigParse(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc.conf")
	os.WriteFile(inc, []byte("Host inc\n  HostName included.example\n"), 0o600)
	main := filepath.Join(dir, "config")
	os.WriteFile(main, []byte(`Include inc.conf
Host a b
  HostName %h.example
  Port=2200
  IdentityFile "~/k 1"
  IdentityFile /k2
  ProxyJump j1,user@j2:2222
Match host a
  User matched
Host *
  User dflt
  Port 22
  HostName nope
`), 0o600)
	cfg, err := loadSSHConfig(main)
	if err != nil {
		t.Fatal(err)
	}
	home, _ := os.UserHomeDir()
	got := cfg.lookup("b")
	if got.HostName != "b.example" || got.Port != 2200 || got.User != "dflt" || got.ProxyJump != "j1,user@j2:2222" ||
		len(got.IdentityFiles) != 2 || got.IdentityFiles[0] != "~/k 1" {
		t.Fatalf("b = %+v", got)
	}
	if got := cfg.lookup("inc"); got.HostName != "included.example" {
		t.Fatalf("inc = %+v", got)
	}
	if ep := resolveEndpoint(cfg, "INC", 0, "", ""); ep.host != "included.example" {
		t.Fatalf("case-insensitive match and lowercased host: %+v", ep)
	}
	ep := resolveEndpoint(cfg, "a", 0, "", "")
	if ep.host != "a.example" || ep.port != 2200 || ep.identities[0] != filepath.Join(home, "k 1") || !ep.explicitIdentity {
		t.Fatalf("ep = %+v", ep)
	}
	hops, err := jumpHosts(cfg, ep.proxyJump)
	if err != nil || len(hops) != 2 || hops[0].host != "nope" || hops[1].user != "user" || hops[1].port != 2222 {
		t.Fatalf("hops = %+v %v", hops, err)
	}
}

func TestConcurrentExecOneConnection(t *testing.T) {
	e := newEnv(t)
	c, err := dial(t, e.host(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	// Each command blocks until all started ones reach a barrier file count,
	// so the server sees as many sessions as the cap allows at once.
	dir := t.TempDir()
	const n = 20
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			cmd := "touch " + dir + "/" + strconv.Itoa(i) + "; while [ $(ls " + dir + " | wc -l) -lt " + strconv.Itoa(maxExecSessions) + " ]; do sleep 0.01; done; echo " + strconv.Itoa(i)
			res, err := c.Exec(context.Background(), cmd, ExecOptions{})
			if err == nil && strings.TrimSpace(string(res.Stdout)) != strconv.Itoa(i) {
				err = errors.New("wrong output " + string(res.Stdout))
			}
			errs <- err
		}(i)
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := e.srv.conns.Load(); got != 1 {
		t.Fatalf("%d connections, want 1", got)
	}
	if _, _, maxOpen := e.srv.snapshot(); maxOpen != maxExecSessions {
		t.Fatalf("max concurrent sessions %d, want %d", maxOpen, maxExecSessions)
	}
}

func TestExecContextCancel(t *testing.T) {
	e := newEnv(t)
	c, err := dial(t, e.host(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := c.Exec(ctx, "echo started; sleep 600", ExecOptions{})
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	mustRun(t, c, "true") // the connection survives
}

func TestSSHConfigUserThenSystem(t *testing.T) {
	e := newEnv(t)
	os.MkdirAll(filepath.Join(e.dir, ".ssh"), 0o700)
	// The user's file ends inside a Host block; the system file starts with
	// global options that must not join that block.
	os.WriteFile(filepath.Join(e.dir, ".ssh", "config"), []byte("Host elsewhere\n  User x\nHost proxy-1\n  HostName 127.0.0.1\n"), 0o600)
	sys := filepath.Join(e.dir, "ssh_config")
	os.WriteFile(sys, []byte("Port "+strconv.Itoa(e.srv.port())+"\nUser sysuser\nHashKnownHosts yes\nHost proxy-1\n  HostName 10.255.255.1\n  IdentityFile "+e.key+"\n"), 0o600)
	old := systemSSHConfig
	systemSSHConfig = sys
	t.Cleanup(func() { systemSSHConfig = old })
	opts := e.opts
	opts.SSHConfigFile = ""
	opts.KnownHostsFile = filepath.Join(e.dir, "kh")
	opts.AcceptNewHostKeys = true
	c, err := dial(t, &inventory.Host{Name: "p1", Address: "proxy-1", Port: 22}, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, c, "true")
	if u := e.srv.lastUser(); u != "sysuser" {
		t.Fatalf("user %q", u)
	}
	data, _ := os.ReadFile(opts.KnownHostsFile)
	if !strings.HasPrefix(string(data), "|1|") {
		t.Fatalf("HashKnownHosts yes: recorded %q", data)
	}
	opts.AcceptNewHostKeys = false
	if _, err := dial(t, &inventory.Host{Name: "p1", Address: "proxy-1", Port: 22}, opts); err != nil {
		t.Fatalf("hashed entry not matched: %v", err)
	}
}

func TestProxyCommandRefused(t *testing.T) {
	e := newEnv(t)
	cfg := filepath.Join(e.dir, "config")
	os.WriteFile(cfg, []byte("Host pc\n  ProxyCommand nc %h %p\n"), 0o600)
	opts := e.opts
	opts.SSHConfigFile = cfg
	_, err := dial(t, &inventory.Host{Name: "pc", Address: "pc"}, opts)
	if !IsUnreachable(err) || !strings.Contains(err.Error(), "ProxyCommand") {
		t.Fatalf("err = %v", err)
	}
}

// serveAgent runs an ssh-agent holding priv on a socket in dir until the
// test ends, and returns the socket's path (for SSH_AUTH_SOCK).
func serveAgent(t *testing.T, dir string, priv any) string {
	t.Helper()
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go agent.ServeAgent(keyring, c)
		}
	}()
	return sock
}
