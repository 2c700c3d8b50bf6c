package status

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

// fakeProxyHost answers the status probe like a host running the proxy
// with config hash running and the file on disk hashing to disk.
type fakeProxyHost struct {
	transport.Conn
	name, running, disk, readMode string
	config                        string // the file's text ("" none)
}

func (c *fakeProxyHost) Host() string { return c.name }
func (c *fakeProxyHost) Close() error { return nil }
func (c *fakeProxyHost) Exec(_ context.Context, cmd string, o transport.ExecOptions) (transport.ExecResult, error) {
	script, _ := io.ReadAll(o.Stdin)
	if !strings.Contains(string(script), "/api/v1/status") || !o.Become {
		return transport.ExecResult{ExitCode: 1}, fmt.Errorf("unexpected command %q", cmd)
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	st, _ := json.Marshal(map[string]any{"version": "1.2.3", "config_sha256": c.running, "read_mode": c.readMode, "primary_cluster": "ORIGIN", "client_connections": 4, "uptime_seconds": 75})
	out := fmt.Sprintf("installed=yes\nservice=active\ndisk_sha=%s\nbinary=/opt/zdm-proxy/zdm-proxy-abc\nconfig=%s\nreadiness=%s\nstatus=%s\n",
		c.disk, b64(c.config),
		b64("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n"+`{"ready":true,"clusters":[{"name":"origin","reachable":true},{"name":"target","reachable":true}]}`),
		b64("HTTP/1.0 200 OK\r\n\r\n"+string(st)))
	return transport.ExecResult{Stdout: []byte(out)}, nil
}

func setup(t *testing.T, tweak func(host string, c *fakeProxyHost)) (*cmdutil.Factory, *strings.Builder) {
	inv := cmdtest.NewInventory("p1", "p2", "p3")
	inv.Vars["origin_contact_points"] = "10.0.0.1"
	inv.Vars["target_contact_points"] = "10.0.0.2"
	inv.Vars["read_mode"] = "DUAL_ASYNC_ON_SECONDARY"
	fleet, err := zdm.Plan(inv, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, out, _ := cmdtest.Factory(inv)
	f.Dial = func(transport.DialOptions) runner.DialFunc {
		return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
			want := fleet.Configs[h.Name].SHA256()
			c := &fakeProxyHost{name: h.Name, running: want, disk: want, readMode: "DUAL_ASYNC_ON_SECONDARY"}
			if tweak != nil {
				tweak(h.Name, c)
			}
			return c, nil
		}
	}
	sb := &strings.Builder{}
	f.IO.Out = io.MultiWriter(out, sb)
	return f, sb
}

func TestStatusAllReady(t *testing.T) {
	f, out := setup(t, nil)
	if err := Run(&Options{F: f}); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "3/3 ready · read_mode DUAL_ASYNC_ON_SECONDARY · primary ORIGIN · no drift") {
		t.Fatalf("summary:\n%s", out)
	}
	if !strings.Contains(out.String(), "1m15s") || !strings.Contains(out.String(), "1.2.3") {
		t.Errorf("table:\n%s", out)
	}
}

func TestStatusDriftAndJSON(t *testing.T) {
	f, out := setup(t, func(h string, c *fakeProxyHost) {
		if h == "p2" {
			c.disk = strings.Repeat("0", 64) // hand-edited, not reloaded
			c.config = "read_mode: PRIMARY_ONLY\norigin_password: \"hand-s3cret\"\n"
		}
	})
	f.Settings.Output = "json"
	err := Run(&Options{F: f})
	if cmdutil.ExitCode(err) != cmdutil.ExitFailed {
		t.Fatalf("exit %v", err)
	}
	doc := decodeStatus(t, out.String())
	fs := doc.Data
	if doc.OK || doc.ExitCode != cmdutil.ExitFailed || !strings.Contains(doc.Error, "drift on p2") {
		t.Errorf("envelope: ok %v exit_code %d error %q", doc.OK, doc.ExitCode, doc.Error)
	}
	if !fs.Proxies[1].Drifted() || fs.Proxies[0].Drifted() || fs.Proxies[0].DriftUnknown() || !fs.Proxies[1].Unloaded || fs.Proxies[1].RestartPending || !strings.Contains(fs.Summary, "drift on p2") {
		t.Fatalf("%+v", fs)
	}
	// The keys that differ are named; the secret's values are not shown.
	changes := strings.Join(fs.Proxies[1].DriftChanges, "\n")
	if !strings.Contains(changes, "read_mode: PRIMARY_ONLY → DUAL_ASYNC_ON_SECONDARY") || !strings.Contains(changes, "origin_password: ******** → -") {
		t.Errorf("drift changes:\n%s", changes)
	}
	if strings.Contains(out.String(), "hand-s3cret") {
		t.Errorf("a secret in the output:\n%s", out)
	}
	if fs.Phase.Number != 3 {
		t.Errorf("phase %+v", fs.Phase)
	}
}

func TestStatusUnreachable(t *testing.T) {
	inv := cmdtest.NewInventory("p1")
	inv.Vars["origin_contact_points"] = "10.0.0.1"
	inv.Vars["target_contact_points"] = "10.0.0.2"
	f, out, _ := cmdtest.Factory(inv)
	f.Dial = func(transport.DialOptions) runner.DialFunc {
		return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
			return nil, &transport.UnreachableError{Host: h.Name, Err: fmt.Errorf("connection refused")}
		}
	}
	if err := Run(&Options{F: f}); cmdutil.ExitCode(err) != cmdutil.ExitFailed {
		t.Fatalf("exit %v", err)
	}
	if !strings.Contains(out.String(), "DOWN") || !strings.Contains(out.String(), "connection refused") || !strings.Contains(out.String(), "0/1 ready") {
		t.Fatalf("%s", out)
	}
	// Drift cannot be known: "unknown", never "no drift".
	if !strings.Contains(out.String(), "unknown") || strings.Contains(out.String(), "no drift") || !strings.Contains(out.String(), "drift unknown on p1") {
		t.Fatalf("drift of an unreachable host:\n%s", out)
	}
}

func TestStatusUnreachableJSONDriftNull(t *testing.T) {
	inv := cmdtest.NewInventory("p1")
	inv.Vars["origin_contact_points"] = "10.0.0.1"
	inv.Vars["target_contact_points"] = "10.0.0.2"
	f, out, _ := cmdtest.Factory(inv)
	f.Settings.Output = "json"
	f.Dial = func(transport.DialOptions) runner.DialFunc {
		return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
			return nil, &transport.AuthError{Host: h.Name, Err: fmt.Errorf("host key for x is not known")}
		}
	}
	if err := Run(&Options{F: f}); cmdutil.ExitCode(err) != cmdutil.ExitAuth {
		t.Fatalf("exit %v, want 4 for a host key failure", err)
	}
	env := decodeStatus(t, out.String())
	if env.OK || env.ExitCode != 4 || !strings.HasPrefix(env.Error, "fleet not healthy") {
		t.Errorf("envelope: ok %v exit_code %d error %q", env.OK, env.ExitCode, env.Error)
	}
	var doc struct {
		Data struct {
			Proxies []map[string]any `json:"proxies"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
		t.Fatal(err)
	}
	if v, ok := doc.Data.Proxies[0]["drift"]; !ok || v != nil {
		t.Fatalf("drift = %v (present %v), want null:\n%s", v, ok, out)
	}
}
