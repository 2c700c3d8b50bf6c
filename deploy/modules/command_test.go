package modules

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestShellAndCommand(t *testing.T) {
	env := localEnv(t)
	r := run(t, env, "shell", Args{"cmd": "echo hi; echo err >&2"})
	mustStatus(t, r, "changed")
	if r.Stdout != "hi" || r.Stderr != "err" || r.Rc != 0 {
		t.Fatalf("got %+v", r)
	}
	// command does not interpret shell syntax
	r = run(t, env, "command", Args{"cmd": `echo '$HOME' "a b" ; x`})
	if r.Stdout != "$HOME a b ; x" {
		t.Fatalf("command stdout %q", r.Stdout)
	}
	r = run(t, env, "shell", Args{"cmd": "echo 'cannot bind' >&2; echo more >&2; exit 3"})
	mustStatus(t, r, "failed")
	if r.Rc != 3 || r.Msg != "non-zero exit code 3: cannot bind" {
		t.Fatalf("rc %d", r.Rc)
	}
	r = run(t, env, "shell", Args{"cmd": "cat", "stdin": "fed"})
	if r.Stdout != "fed" {
		t.Fatalf("stdin not fed: %q", r.Stdout)
	}
	dir := t.TempDir()
	r = run(t, env, "shell", Args{"cmd": "pwd", "chdir": dir})
	if r.Stdout != dir {
		t.Fatalf("chdir: %q", r.Stdout)
	}
}

func TestCreatesAndCheck(t *testing.T) {
	env := localEnv(t)
	marker := filepath.Join(t.TempDir(), "done")
	args := Args{"cmd": "touch " + marker, "creates": marker}

	env.Check = true
	mustStatus(t, run(t, env, "shell", args), "changed")
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("check mode ran the command")
	}
	mustStatus(t, run(t, env, "shell", Args{"cmd": "touch " + marker}), "skipped")

	env.Check = false
	mustStatus(t, run(t, env, "shell", args), "changed")
	mustStatus(t, run(t, env, "shell", args), "ok")
	env.Check = true
	mustStatus(t, run(t, env, "shell", args), "ok")
}

func TestCommandValidation(t *testing.T) {
	m, _ := Lookup("command")
	if err := m.Spec().Validate(Args{"cmd": "echo 'open"}); err == nil {
		t.Fatal("unterminated quote accepted")
	}
	if err := m.Spec().Validate(Args{"cmd": "x", "bogus": 1}); err == nil {
		t.Fatal("unknown argument accepted")
	}
	if err := m.Spec().Validate(Args{"chdir": "/"}); err == nil {
		t.Fatal("missing cmd accepted")
	}
}

func TestSecretCommandTravelsOnStdin(t *testing.T) {
	f := &fakeConn{}
	env := &Env{Conn: f, Secrets: []string{"hunter2"}}
	run(t, env, "shell", Args{"cmd": "login --password hunter2"})
	if len(f.cmds) != 1 || f.cmds[0] != "sh -s" {
		t.Fatalf("secret on the command line: %q", f.cmds)
	}
	// and it still runs for real
	env = localEnv(t)
	env.Secrets = []string{"hunter2"}
	r := run(t, env, "shell", Args{"cmd": "echo hunter2 | wc -c"})
	if r.Stdout != "8" {
		t.Fatalf("stdout %q", r.Stdout)
	}
}

func TestCall(t *testing.T) {
	env := localEnv(t)
	if r := Call(context.Background(), env, "shell", Args{"cmd": "echo hi"}); r.Stdout != "hi" {
		t.Fatalf("%+v", r)
	}
	if r := Call(context.Background(), env, "shell", Args{"cmd": "x", "nope": 1}); !r.Failed {
		t.Fatal("invalid args ran")
	}
	if r := Call(context.Background(), env, "nope", nil); !r.Failed {
		t.Fatal("unknown module ran")
	}
}
