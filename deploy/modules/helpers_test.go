package modules

import (
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/zdmctl/zdmctl/deploy/transport"
)

func localEnv(t *testing.T) *Env {
	t.Helper()
	return &Env{Conn: transport.NewLocal("local"), Vars: map[string]any{}, BaseDir: t.TempDir()}
}

func run(t *testing.T, env *Env, module string, args Args) Result {
	t.Helper()
	m, ok := Lookup(module)
	if !ok {
		t.Fatalf("no module %s", module)
	}
	if err := m.Spec().Validate(args); err != nil {
		t.Fatalf("validate %s %v: %v", module, args, err)
	}
	return m.Run(context.Background(), env, args)
}

func mustStatus(t *testing.T, r Result, want string) {
	t.Helper()
	if r.Status() != want {
		t.Fatalf("status = %s (msg %q), want %s", r.Status(), r.Msg, want)
	}
}

func currentUser(t *testing.T) (string, string) {
	t.Helper()
	st, err := transport.NewLocal("l").Stat(context.Background(), os.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	_ = st
	env := localEnv(t)
	res, err := env.Conn.Exec(context.Background(), "id -un; id -gn", transport.ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(res.Stdout))
	return f[0], f[1]
}

// fakeConn records commands and answers them with a function.
type fakeConn struct {
	mu     sync.Mutex
	cmds   []string
	answer func(cmd string) transport.ExecResult
	files  map[string][]byte
}

func (f *fakeConn) Host() string { return "fake" }
func (f *fakeConn) Exec(_ context.Context, cmd string, o transport.ExecOptions) (transport.ExecResult, error) {
	if cmd == "sh -s" && o.Stdin != nil {
		// A module's command line comes by stdin ({ ... } </dev/null):
		// record what the host runs.
		b, _ := io.ReadAll(o.Stdin)
		if w := string(b); strings.HasPrefix(w, "{\n") && strings.HasSuffix(w, "\n} </dev/null\n") {
			cmd = strings.TrimSuffix(strings.TrimPrefix(w, "{\n"), "\n} </dev/null\n")
		}
	}
	f.mu.Lock()
	f.cmds = append(f.cmds, cmd)
	f.mu.Unlock()
	if f.answer == nil {
		return transport.ExecResult{}, nil
	}
	return f.answer(cmd), nil
}
func (f *fakeConn) ReadFile(_ context.Context, p string, _ bool) ([]byte, error) {
	if b, ok := f.files[p]; ok {
		return b, nil
	}
	return nil, os.ErrNotExist
}
func (f *fakeConn) Stat(context.Context, string, bool) (transport.FileInfo, error) {
	return transport.FileInfo{}, os.ErrNotExist
}
func (f *fakeConn) Checksum(context.Context, string, bool) (string, bool, error) {
	return "", false, nil
}
func (f *fakeConn) WriteFile(_ context.Context, p string, r io.Reader, _ transport.FileOptions) error {
	b, _ := io.ReadAll(r)
	if f.files == nil {
		f.files = map[string][]byte{}
	}
	f.files[p] = b
	f.mu.Lock()
	f.cmds = append(f.cmds, "WRITE "+p)
	f.mu.Unlock()
	return nil
}
func (f *fakeConn) Close() error { return nil }

// ran reports whether some recorded command contains all parts.
func (f *fakeConn) ran(parts ...string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
outer:
	for _, c := range f.cmds {
		for _, p := range parts {
			if !strings.Contains(c, p) {
				continue outer
			}
		}
		return true
	}
	return false
}
