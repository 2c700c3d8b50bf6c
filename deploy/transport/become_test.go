package transport

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildCommand(t *testing.T) {
	cases := []struct {
		login string
		cmd   string
		opts  ExecOptions
		want  string
	}{
		{"ubuntu", "echo hi", ExecOptions{}, `sh -c 'echo hi'`},
		{"ubuntu", "echo 'q'", ExecOptions{Become: true}, `sudo -n -- sh -c 'echo '\''q'\'''`},
		{"ubuntu", "id", ExecOptions{Become: true, BecomeUser: "root"}, `sudo -n -- sh -c 'id'`},
		{"ubuntu", "id", ExecOptions{Become: true, BecomeUser: "zdm"}, `sudo -n -u 'zdm' -- sh -c 'id'`},
		{"root", "id", ExecOptions{Become: true}, `sh -c 'id'`},
		{"root", "id", ExecOptions{Become: true, BecomeUser: "zdm"}, `sudo -n -u 'zdm' -- sh -c 'id'`},
		{"zdm", "id", ExecOptions{Become: true, BecomeUser: "zdm"}, `sh -c 'id'`},
		{"ubuntu", "id", ExecOptions{BecomeUser: "zdm"}, `sh -c 'id'`},
		{"ubuntu", "run", ExecOptions{Become: true, Env: map[string]string{"B": "x y", "A": "it's"}},
			`sudo -n -- sh -c 'IFS= read -r A || exit 125
IFS= read -r B || exit 125
export A B
run'`},
	}
	for _, c := range cases {
		got, _, err := buildCommand(c.login, c.cmd, c.opts)
		if err != nil || got != c.want {
			t.Errorf("%s %q %+v:\n got %s\nwant %s (%v)", c.login, c.cmd, c.opts, got, c.want, err)
		}
	}
	_, pre, _ := buildCommand("u", "run", ExecOptions{Env: map[string]string{"B": "x y", "A": "it's"}})
	if string(pre) != "it's\nx y\n" {
		t.Errorf("preamble %q", pre)
	}
	if _, _, err := buildCommand("u", "x", ExecOptions{Env: map[string]string{"K": "two\nlines"}}); err == nil {
		t.Error("newline in env value accepted")
	}
	if _, _, err := buildCommand("u", "x", ExecOptions{Env: map[string]string{"A;rm": "x"}}); err == nil {
		t.Error("bad env name accepted")
	}
}

func TestSudoDenied(t *testing.T) {
	cases := []struct {
		code   int
		stderr string
		denied bool
	}{
		{1, "sudo: a password is required\n", true},
		{1, "sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\n", true},
		{1, "alice is not in the sudoers file.  This incident will be reported.\n", true},
		{1, "Sorry, user alice is not allowed to execute '/bin/sh -c id' as root on h1.\n", true},
		{1, "sudo: unable to resolve host h1: Name or service not known\nsomething failed\n", false},
		{127, "sh: 1: sudo: not found\n", true},
		{1, "grep: a password is required\n", false},
		{2, "sudo: a password is required\n", false},
		{0, "", false},
	}
	for _, c := range cases {
		if _, got := sudoDenied(c.code, []byte(c.stderr)); got != c.denied {
			t.Errorf("%d %q: denied=%v, want %v", c.code, c.stderr, got, c.denied)
		}
	}
}

// fakeSudo installs a `sudo` on the test server's PATH. Allowing, it strips
// -n/-u and runs the rest, logging its arguments; refusing, it behaves like
// sudo -n without a sudo right.
func fakeSudo(t *testing.T, e *env, allow bool) string {
	t.Helper()
	bin := filepath.Join(e.dir, "bin")
	os.MkdirAll(bin, 0o755)
	log := filepath.Join(e.dir, "sudo.log")
	script := "#!/bin/sh\necho \"$*\" >> " + shellQuote(log) + "\n"
	if allow {
		script += "while [ $# -gt 0 ]; do case \"$1\" in -n) shift;; -u) shift 2;; --) shift; break;; *) break;; esac; done\nexec \"$@\"\n"
	} else {
		script += "echo 'sudo: a password is required' >&2\nexit 1\n"
	}
	if err := os.WriteFile(filepath.Join(bin, "sudo"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	e.srv.addEnv("PATH=" + bin + ":" + os.Getenv("PATH"))
	return log
}

func TestBecomeThroughSudo(t *testing.T) {
	e := newEnv(t)
	log := fakeSudo(t, e, true)
	c, err := dial(t, e.host(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Exec(context.Background(), "echo as-root", ExecOptions{Become: true, BecomeUser: "zdm"})
	if err != nil || string(res.Stdout) != "as-root\n" {
		t.Fatalf("%q %v", res.Stdout, err)
	}
	got, _ := os.ReadFile(log)
	if string(got) != "-n -u zdm -- sh -c echo as-root\n" {
		t.Fatalf("sudo argv %q", got)
	}
	// A failing command under an allowed sudo is a plain exit code.
	res, err = c.Exec(context.Background(), "echo 'a password is required' >&2; exit 1", ExecOptions{Become: true})
	if err != nil || res.ExitCode != 1 {
		t.Fatalf("plain failure: exit %d, err %v", res.ExitCode, err)
	}
}

func TestBecomeDenied(t *testing.T) {
	e := newEnv(t)
	fakeSudo(t, e, false)
	c, err := dial(t, e.host(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Exec(context.Background(), "id", ExecOptions{Become: true})
	if !errors.Is(err, ErrBecomeDenied) || !strings.Contains(err.Error(), "h1") {
		t.Fatalf("err = %v", err)
	}
	// Files as root go through sudo too: same error.
	_, err = c.ReadFile(context.Background(), "/etc/hostname", true)
	if !errors.Is(err, ErrBecomeDenied) {
		t.Fatalf("ReadFile: %v", err)
	}
	// Without become nothing changes.
	mustRun(t, c, "true")
}

func TestBecomeSFTP(t *testing.T) {
	e := newEnv(t)
	log := fakeSudo(t, e, true)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	server := filepath.Join(e.dir, "bin", "sftp-server")
	os.WriteFile(server, []byte("#!/bin/sh\nZDM_TEST_SFTP_SERVER=1 exec "+shellQuote(exe)+"\n"), 0o755)
	old := sftpServerPaths
	sftpServerPaths = []string{"/nonexistent/sftp-server", server}
	t.Cleanup(func() { sftpServerPaths = old })

	c, err := dial(t, e.host(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "root-owned.conf")
	if err := c.WriteFile(context.Background(), path, strings.NewReader("via sudo sftp"), FileOptions{Become: true, Mode: 0o600}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "via sudo sftp" {
		t.Fatalf("content %q", got)
	}
	data, err := c.ReadFile(context.Background(), path, true)
	if err != nil || string(data) != "via sudo sftp" {
		t.Fatalf("read %q %v", data, err)
	}
	sudoLog, _ := os.ReadFile(log)
	if !strings.Contains(string(sudoLog), "-n -- "+server+"\n") {
		t.Fatalf("sftp-server not started through sudo:\n%s", sudoLog)
	}
	// One root SFTP session for the connection: later calls reuse it.
	if n := strings.Count(string(sudoLog), server+"\n"); n != 1 {
		t.Fatalf("sftp-server started %d times:\n%s", n, sudoLog)
	}
}
