package root

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
)

// TestEveryCommandJSONIsOneEnvelope runs every command with -o json, most
// with an inventory that does not load, and checks stdout is ONE JSON
// document with the envelope every document has (ok, exit_code, error,
// result, data: cmdtest.EnvelopeKeys) and nothing else at the top level,
// its ok and exit_code agreeing with the exit code. A command added
// without a row here fails the test.
func TestEveryCommandJSONIsOneEnvelope(t *testing.T) {
	cases := []struct {
		args []string
		code int // the exit code expected
	}{
		{[]string{"version"}, 0},
		{[]string{"playbook", "list"}, 0},
		{[]string{"playbook", "validate", "nosuchplaybook"}, cmdutil.ExitUsage},
		{[]string{"playbook", "run", "ping"}, cmdutil.ExitUsage},
		{[]string{"inventory", "show"}, cmdutil.ExitUsage},
		{[]string{"inventory", "validate"}, cmdutil.ExitUsage},
		{[]string{"init", "--no-prompt", "--out", "/nonexistent/dir/inventory.yaml"}, cmdutil.ExitUsage},
		{[]string{"deploy"}, cmdutil.ExitUsage},
		{[]string{"deploy", "--check"}, cmdutil.ExitUsage},
		{[]string{"rolling-update", "--read-mode", "DUAL_ASYNC_ON_SECONDARY"}, cmdutil.ExitUsage},
		{[]string{"rolling-restart"}, cmdutil.ExitUsage},
		{[]string{"status"}, cmdutil.ExitUsage},
		{[]string{"phase"}, cmdutil.ExitUsage},
		{[]string{"reconcile"}, cmdutil.ExitUsage},
		{[]string{"reconcile", "--apply"}, cmdutil.ExitUsage},
		{[]string{"teardown"}, cmdutil.ExitUsage},
		{[]string{"history"}, 0}, // no journal of actions yet: an empty list
		{[]string{"logs", "collect"}, cmdutil.ExitUsage},
		{[]string{"client-config"}, cmdutil.ExitUsage},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Setenv("XDG_CONFIG_HOME", t.TempDir())
			t.Chdir(t.TempDir())
			f, out, errOut := cmdtest.Factory(nil) // the inventory does not load
			f.Settings = &cmdutil.Settings{}
			code := Main(f, append(append([]string{}, tc.args...), "-o", "json"))
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tc.code, errOut)
			}
			doc := cmdtest.DecodeDocument(t, out.String(), nil)
			if doc.OK != (code == 0) || doc.ExitCode != code || (code != 0) != (doc.Error != "") {
				t.Errorf("exit %d but ok %v exit_code %d error %q", code, doc.OK, doc.ExitCode, doc.Error)
			}
		})
		covered[strings.Join(tc.args[:commandWords(tc.args)], " ")] = true
	}
	f, _, _ := cmdtest.Factory(nil)
	for _, c := range leaves(NewCmdRoot(f), "") {
		if !covered[c] {
			t.Errorf("command %q has no row: add one so its -o json document is checked", c)
		}
	}
}

// TestFleetCommandsJSONOnFailureKeepTheirData runs the commands that
// contact the fleet against proxies that cannot be reached: each still
// writes ONE envelope document, ok false with its exit code and error,
// and the data it gathered (the hosts and why each failed) under data.
func TestFleetCommandsJSONOnFailureKeepTheirData(t *testing.T) {
	cases := []struct {
		args []string
		want string // in data (or result, for the playbook runs)
	}{
		{[]string{"status"}, "no route to p1"},
		{[]string{"phase"}, `"checks"`},
		{[]string{"reconcile"}, "no route to p1"},
		{[]string{"reconcile", "--apply"}, "no route to p1"},
		{[]string{"logs", "collect", "--out", "logs.tar.gz"}, `"missing": 2`},
		{[]string{"rolling-restart"}, "no route to p1"},
		{[]string{"teardown", "--yes"}, "no route to p1"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Setenv("XDG_CONFIG_HOME", t.TempDir())
			t.Chdir(t.TempDir())
			inv := cmdtest.NewInventory("p1", "p2")
			inv.Vars["origin_contact_points"] = "o"
			inv.Vars["target_contact_points"] = "t"
			for i, h := range inv.Hosts {
				h.Connection, h.Address = "ssh", fmt.Sprintf("192.0.2.%d", i+1)
			}
			f, out, errOut := cmdtest.Factory(inv)
			f.Settings = &cmdutil.Settings{}
			f.Dial = func(transport.DialOptions) runner.DialFunc {
				return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
					return nil, &transport.UnreachableError{Host: h.Name, Err: errors.New("no route to " + h.Name)}
				}
			}
			code := Main(f, append(append([]string{}, tc.args...), "-o", "json"))
			doc := cmdtest.DecodeDocument(t, out.String(), nil)
			if tc.args[0] == "phase" {
				// Unreachable proxies are "not deployed": phase says so,
				// and exits 0.
				if code != 0 || !doc.OK || doc.ExitCode != 0 || doc.Error != "" {
					t.Errorf("exit %d, ok %v exit_code %d error %q\nstderr: %s", code, doc.OK, doc.ExitCode, doc.Error, errOut)
				}
			} else if code == 0 || doc.OK || doc.ExitCode != code || doc.Error == "" {
				t.Errorf("exit %d, ok %v exit_code %d error %q\nstderr: %s", code, doc.OK, doc.ExitCode, doc.Error, errOut)
			}
			if !strings.Contains(out.String(), tc.want) {
				t.Errorf("the document lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

// commandWords is how many of args name the command (the words before
// the first flag or the playbook argument).
func commandWords(args []string) int {
	n := 0
	for _, a := range args {
		if strings.HasPrefix(a, "-") || (n == 2 && args[0] == "playbook") {
			break
		}
		n++
	}
	return n
}

// leaves lists the runnable commands under cmd by their path ("logs
// collect"), without cobra's help and completion.
func leaves(cmd *cobra.Command, prefix string) []string {
	var out []string
	for _, c := range cmd.Commands() {
		name := strings.TrimSpace(prefix + " " + c.Name())
		if slices.Contains([]string{"help", "completion"}, c.Name()) {
			continue
		}
		if c.Runnable() && !c.HasSubCommands() {
			out = append(out, name)
		}
		out = append(out, leaves(c, name)...)
	}
	return out
}
