package status

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

// fakeMonitorHost answers the monitoring probe: which ports answer HTTP
// and which zdmctl units are installed.
type fakeMonitorHost struct {
	transport.Conn
	name                  string
	promUp, grafanaUp     bool
	promUnit, grafanaUnit bool
	promPort, grafanaPort string
}

func (c *fakeMonitorHost) Host() string { return c.name }
func (c *fakeMonitorHost) Close() error { return nil }
func (c *fakeMonitorHost) Exec(_ context.Context, cmd string, o transport.ExecOptions) (transport.ExecResult, error) {
	b, _ := io.ReadAll(o.Stdin)
	script := string(b)
	if !strings.Contains(script, "/-/healthy") || !strings.Contains(script, "up '127.0.0.1' '"+c.promPort+"' ") || !strings.Contains(script, "up '127.0.0.1' '"+c.grafanaPort+"' ") {
		return transport.ExecResult{ExitCode: 1}, fmt.Errorf("unexpected command %q: %s", cmd, script)
	}
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	out := fmt.Sprintf("prometheus=%s\ngrafana=%s\nprometheus_unit=%s\ngrafana_unit=%s\n", yn(c.promUp), yn(c.grafanaUp), yn(c.promUnit), yn(c.grafanaUnit))
	return transport.ExecResult{Stdout: []byte(out)}, nil
}

func TestStatusMonitoring(t *testing.T) {
	for name, tc := range map[string]struct {
		mon        fakeMonitorHost
		prom, graf string
		summary    string
		noSummary  string
	}{
		"prometheus only":      {mon: fakeMonitorHost{promUp: true, promUnit: true}, prom: "up", graf: "not deployed", noSummary: "monitoring"},
		"both up":              {mon: fakeMonitorHost{promUp: true, promUnit: true, grafanaUp: true, grafanaUnit: true}, prom: "up", graf: "up", noSummary: "monitoring"},
		"grafana down":         {mon: fakeMonitorHost{promUp: true, promUnit: true, grafanaUnit: true}, prom: "up", graf: "down", summary: "monitoring down on mon"},
		"prometheus down":      {mon: fakeMonitorHost{promUnit: true}, prom: "down", graf: "not deployed", summary: "monitoring down on mon"},
		"nothing deployed":     {mon: fakeMonitorHost{}, prom: "not deployed", graf: "not deployed", summary: "monitoring not deployed on mon"},
		"someone else's stack": {mon: fakeMonitorHost{promUp: true, grafanaUp: true}, prom: "up", graf: "up", noSummary: "monitoring"},
	} {
		t.Run(name, func(t *testing.T) {
			f, out := setup(t, nil)
			ci, _ := f.LoadInventory("")
			inv := ci.(cmdtest.Inventory)
			inv.Vars["prometheus_port"] = 9091
			inv.Hosts = append(inv.Hosts, &inventory.Host{Name: "mon", Address: "127.0.0.1", Connection: "local", Vars: map[string]any{"grafana_port": "3001"}, Groups: []string{zdm.MonitorGroup}})
			inv.Groups = append(inv.Groups, &inventory.Group{Name: zdm.MonitorGroup, Hosts: []string{"mon"}, Vars: map[string]any{}})
			proxyDial := f.Dial
			f.Dial = func(o transport.DialOptions) runner.DialFunc {
				return func(ctx context.Context, h *inventory.Host) (transport.Conn, error) {
					if h.Name == "mon" {
						m := tc.mon
						m.name, m.promPort, m.grafanaPort = "mon", "9091", "3001"
						return &m, nil
					}
					return proxyDial(o)(ctx, h)
				}
			}
			f.Settings.Output = "json"
			_ = Run(&Options{F: f})
			doc := decodeStatus(t, out.String())
			fs := doc.Data
			if len(fs.Monitors) != 1 {
				t.Fatalf("monitors %+v", fs.Monitors)
			}
			m := fs.Monitors[0]
			if m.PrometheusState != tc.prom || m.GrafanaState != tc.graf || m.Prometheus != (tc.prom == "up") || m.Grafana != (tc.graf == "up") {
				t.Errorf("got prometheus %q grafana %q (%+v), want %q %q", m.PrometheusState, m.GrafanaState, m, tc.prom, tc.graf)
			}
			if tc.summary != "" && !strings.Contains(fs.Summary, tc.summary) {
				t.Errorf("summary %q lacks %q", fs.Summary, tc.summary)
			}
			if tc.noSummary != "" && strings.Contains(fs.Summary, tc.noSummary) {
				t.Errorf("summary %q mentions %q", fs.Summary, tc.noSummary)
			}
			if !doc.OK || doc.ExitCode != 0 || doc.Error != "" {
				t.Errorf("monitoring made the proxy fleet not OK: %q", fs.Summary)
			}
		})
	}
}
