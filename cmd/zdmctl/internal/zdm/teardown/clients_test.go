package teardown

import (
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/zdmcmd"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

// proxyConn answers the status probe as a running proxy with clients
// client connections; any other command fails the test (nothing may be
// torn down).
type proxyConn struct {
	transport.Conn
	t       *testing.T
	name    string
	clients int
	// other: commands besides the probe fail (exit 1) instead of failing
	// the test (a forced teardown goes on to the fleet lock).
	other *[]string
}

func (c proxyConn) Host() string { return c.name }
func (c proxyConn) Close() error { return nil }
func (c proxyConn) Exec(_ context.Context, cmd string, o transport.ExecOptions) (transport.ExecResult, error) {
	if cmd != "bash -s" {
		if c.other != nil {
			*c.other = append(*c.other, cmd)
			return transport.ExecResult{ExitCode: 1, Stderr: []byte("fake host: not supported")}, nil
		}
		c.t.Errorf("%s: ran %q", c.name, cmd)
		return transport.ExecResult{ExitCode: 1}, nil
	}
	b64 := func(body string) string {
		return base64.StdEncoding.EncodeToString([]byte("HTTP/1.0 200 OK\r\n\r\n" + body))
	}
	out := fmt.Sprintf("installed=yes\nservice=active\nreadiness=%s\nstatus=%s\n",
		b64(`{"ready":true}`), b64(fmt.Sprintf(`{"version":"1.0","client_connections":%d}`, c.clients)))
	return transport.ExecResult{Stdout: []byte(out)}, nil
}

func TestRefusesWhileClientsAreConnected(t *testing.T) {
	inv := cmdtest.NewInventory("p1", "p2", "p3")
	inv.Vars["origin_contact_points"] = "o"
	inv.Vars["target_contact_points"] = "t"
	f, _, _ := cmdtest.Factory(inv)
	clients := map[string]int{"p1": 3, "p2": 0, "p3": 1}
	f.Dial = func(transport.DialOptions) runner.DialFunc {
		return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
			return proxyConn{t: t, name: h.Name, clients: clients[h.Name]}, nil
		}
	}
	err := Run(&Options{F: f, Yes: true})
	if cmdutil.ExitCode(err) != cmdutil.ExitGate {
		t.Fatalf("got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"teardown refused, nothing changed", "p1: 3 client connections", "p3: 1 client connection", "--force"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "p2") {
		t.Errorf("names an idle proxy: %s", msg)
	}
}

func TestForceNeedsReasonAndIsRecorded(t *testing.T) {
	inv := cmdtest.NewInventory("p1", "p2")
	inv.Vars["origin_contact_points"] = "o"
	inv.Vars["target_contact_points"] = "t"
	f, _, stderr := cmdtest.Factory(inv)
	f.Settings.Inventory = filepath.Join(t.TempDir(), "inv.yaml")
	var other []string
	f.Dial = func(transport.DialOptions) runner.DialFunc {
		return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
			return proxyConn{t: t, name: h.Name, clients: 2, other: &other}, nil
		}
	}
	err := Run(&Options{F: f, Yes: true, Force: zdmcmd.Force{Force: true}})
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "--force needs --reason") {
		t.Fatalf("--force alone: %v", err)
	}
	err = Run(&Options{F: f, Yes: true, Force: zdmcmd.Force{Force: true, Reason: "the app moved to Target an hour ago; these are stale pool connections"}})
	if cmdutil.ExitCode(err) == cmdutil.ExitGate || len(other) == 0 {
		t.Fatalf("forced teardown did not go on: %v (ran %q)", err, other)
	}
	acts, rerr := zdm.ReadActions(zdm.ActionsPath(f.Settings.Inventory))
	if rerr != nil || len(acts) != 1 || acts[0].Command != "teardown" || acts[0].Action != zdm.ActionForceGate ||
		!strings.Contains(acts[0].Reason, "stale pool") || len(acts[0].Checks) != 1 || acts[0].Checks[0].Value != "p1: 2 client connections, p2: 2 client connections" {
		t.Fatalf("journal of actions: %+v %v", acts, rerr)
	}
	if !strings.Contains(stderr.String(), "warning: --force: teardown goes on despite 1 failing check(s): clients gone from the proxies") {
		t.Errorf("no warning:\n%s", stderr)
	}
}

func TestBusyMessageNamesUnknownHosts(t *testing.T) {
	hc := []hostClients{{host: "a"}, {host: "b", unknown: "ssh: connection refused\nmore"}}
	if got := busyMessage(hc); got != "b: clients unknown (ssh: connection refused)" {
		t.Fatal(got)
	}
	if busyMessage([]hostClients{{host: "a"}}) != "" {
		t.Fatal("an idle fleet is busy")
	}
}
