package zdmcmd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
)

// A chain whose second step stops before it runs (its preflight fails)
// writes ONE -o json document: the first step's run under result, the
// error that stopped the second, ok false and its exit code. A second
// step refused with its own document (a gate) leaves that one alone.
func TestChainStoppedBetweenStepsWritesOneDocument(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "step.yaml"), []byte("- name: step\n  hosts: all\n  tasks:\n    - name: ok\n      shell: \"true\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		before error
		want   string
	}{
		{"preflight", &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: errors.New("preflight: clock skew on p1")}, `"result"`},
		{"reported", &cmdutil.ExitError{Code: cmdutil.ExitGate, Err: errors.New("refused"), Reported: true}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := cmdtest.NewInventory("p1")
			inv.Vars["origin_contact_points"] = "o"
			inv.Vars["target_contact_points"] = "t"
			f, out, _ := cmdtest.Factory(inv)
			f.Settings.Output, f.Settings.PlaybookDir = "json", dir
			env, err := Load(f, nil)
			if err != nil {
				t.Fatal(err)
			}
			second := &Rollout{Env: env, Command: "second", Playbook: "step", NoLock: true, Before: func(context.Context) error { return tc.before }}
			first := &Rollout{Env: env, Command: "first", Playbook: "step", NoLock: true, Next: second}
			err = first.Run()
			if cmdutil.ExitCode(err) != cmdutil.ExitCode(tc.before) {
				t.Fatalf("exit %d (%v), want %d", cmdutil.ExitCode(err), err, cmdutil.ExitCode(tc.before))
			}
			if tc.want == "" {
				if out.Len() != 0 {
					t.Fatalf("a second document after the step's own:\n%s", out)
				}
				return
			}
			doc := cmdtest.DecodeDocument(t, out.String(), nil)
			if doc.OK || doc.ExitCode != cmdutil.ExitFailed || !strings.Contains(doc.Error, "clock skew on p1") || !strings.Contains(out.String(), tc.want) {
				t.Fatalf("document %+v:\n%s", doc, out)
			}
			var e *cmdutil.ExitError
			if !errors.As(err, &e) || !e.Reported {
				t.Fatalf("%v: not marked reported: Main would write a second document", err)
			}
		})
	}
}

// --check with -o json: the plan (PLAN lines) goes to stderr, so stdout
// stays one document.
func TestCheckPlanKeepsStdoutOneDocument(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "step.yaml"), []byte("- name: step\n  hosts: all\n  tasks:\n    - name: ok\n      shell: \"true\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := cmdtest.NewInventory("p1")
	inv.Vars["origin_contact_points"] = "o"
	inv.Vars["target_contact_points"] = "t"
	f, out, errOut := cmdtest.Factory(inv)
	f.Settings.Output, f.Settings.PlaybookDir, f.Settings.Check = "json", dir, true
	env, err := Load(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&Rollout{Env: env, Command: "deploy", Playbook: "step", ShowPlan: true}).Run(); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if doc := cmdtest.DecodeDocument(t, out.String(), nil); !doc.OK {
		t.Fatalf("%+v\n%s", doc, out)
	}
	if !strings.Contains(errOut.String(), "PLAN p1: ") {
		t.Fatalf("no plan on stderr:\n%s", errOut)
	}
}
