package teardown

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
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
}

func (c proxyConn) Host() string { return c.name }
func (c proxyConn) Close() error { return nil }
func (c proxyConn) Exec(_ context.Context, cmd string, o transport.ExecOptions) (transport.ExecResult, error) {
	if cmd != "bash -s" {
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
	if cmdutil.ExitCode(err) != cmdutil.ExitFailed {
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

func TestBusyMessageNamesUnknownHosts(t *testing.T) {
	hc := []hostClients{{host: "a"}, {host: "b", unknown: "ssh: connection refused\nmore"}}
	if got := busyMessage(hc); got != "b: clients unknown (ssh: connection refused)" {
		t.Fatal(got)
	}
	if busyMessage([]hostClients{{host: "a"}}) != "" {
		t.Fatal("an idle fleet is busy")
	}
}
