// Package modules holds the task modules (command, shell, copy, template,
// file, user, group, systemd, wait_for, fetch, package, debug). Each one
// reports ok / changed / failed / skipped, predicts without acting in check
// mode, and can show a unified diff of file content, hidden for secrets.
//
// Modules only need a transport.Conn: they build POSIX sh command lines for
// hosts that have sh, coreutils and systemd (no python), and batch their
// checks into as few round trips as possible.
package modules

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
)

// Module is one kind of task.
type Module interface {
	Spec() Spec
	// Run does the task (or predicts it when env.Check). Args are rendered
	// (templates executed) and were validated against Spec at load time.
	Run(ctx context.Context, env *Env, args Args) Result
}

// Env is what a module runs against.
type Env struct {
	Conn       transport.Conn
	Host       *inventory.Host // may be nil in tests
	Vars       map[string]any  // the host's effective vars
	Check      bool            // predict only, change nothing
	Diff       bool            // fill Result.Diff for file changes
	Become     bool
	BecomeUser string
	// Secret hides every diff of this task (task `secret: true`).
	Secret bool
	// Secrets are secret var values; a diff whose content holds one is
	// hidden, and output holding one is redacted by the runner.
	Secrets []string
	// BaseDir resolves relative local paths (copy/template src): the
	// playbook's directory.
	BaseDir string
	// Files reads local files relative to BaseDir (nil: the OS). Embedded
	// playbooks read their files from their embed.FS.
	Files func(path string) ([]byte, error)
}

// exec runs a module's command line. It is built from task args, i.e.
// from vars (paths, names, URLs, ...), so it goes by stdin, never in argv.
func (e *Env) exec(ctx context.Context, cmd string) (transport.ExecResult, error) {
	return e.execStdin(ctx, cmd)
}

// execStdin runs cmd with its text on stdin, never in argv (ps shows
// "sh -s"). The braces
// make the shell read the whole command before running it, so that the
// command's own stdin is /dev/null, not the rest of the script.
func (e *Env) execStdin(ctx context.Context, cmd string) (transport.ExecResult, error) {
	script := "{\n" + cmd + "\n} </dev/null\n"
	return e.Conn.Exec(ctx, "sh -s", transport.ExecOptions{Become: e.Become, BecomeUser: e.BecomeUser,
		Stdin: strings.NewReader(script), Secret: HoldsSecret([]byte(cmd), e.Secrets)})
}

// Result is what a module reports.
type Result struct {
	Changed bool
	Failed  bool
	Skipped bool
	Msg     string
	Rc      int
	Stdout  string
	Stderr  string
	Diff    string
	// Data holds module-specific values exposed to `register`.
	Data map[string]any
	// Err is the underlying error of a failure (transport errors let the
	// runner tell unreachable from failed).
	Err error
}

// Status names the outcome: ok, changed, failed or skipped.
func (r Result) Status() string {
	switch {
	case r.Failed:
		return "failed"
	case r.Skipped:
		return "skipped"
	case r.Changed:
		return "changed"
	}
	return "ok"
}

// Fail makes a failed Result from an error.
func Fail(err error) Result {
	return Result{Failed: true, Msg: err.Error(), Err: err}
}

// Failf makes a failed Result from a message.
func Failf(format string, a ...any) Result {
	return Fail(fmt.Errorf(format, a...))
}

var registry = map[string]Module{}

// Register adds m under its Spec name. Call from init.
func Register(m Module) {
	name := m.Spec().Name
	if _, dup := registry[name]; dup {
		panic("module registered twice: " + name)
	}
	registry[name] = m
}

// Lookup returns the named module.
func Lookup(name string) (Module, bool) {
	m, ok := registry[name]
	return m, ok
}

// Names lists the modules, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Call validates args against the named module and runs it: for commands
// that need one module outside a playbook (a health gate calling wait_for
// on a batch's connections, for example).
func Call(ctx context.Context, env *Env, name string, args Args) Result {
	m, ok := Lookup(name)
	if !ok {
		return Failf("unknown module %s", name)
	}
	if err := m.Spec().Validate(args); err != nil {
		return Fail(err)
	}
	return m.Run(ctx, env, args)
}
