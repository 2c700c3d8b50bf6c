package deploy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
)

func TestBadInputsBeforeConnecting(t *testing.T) {
	notELF := filepath.Join(t.TempDir(), "zdm-proxy")
	os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755)
	for name, tc := range map[string]struct {
		vars map[string]any
		bin  string
		set  []string
		want string
	}{
		"missing origin": {vars: map[string]any{"target_contact_points": "t"}, bin: notELF, want: "origin_contact_points is required"},
		"read_mode typo": {vars: map[string]any{"origin_contact_points": "o", "target_contact_points": "t", "read_mode": "DUAL"}, bin: notELF, want: `read_mode: "DUAL"`},
		"bad --set":      {vars: map[string]any{"origin_contact_points": "o", "target_contact_points": "t"}, set: []string{"origin_port=0"}, bin: notELF, want: "origin_port"},
		"not an ELF":     {vars: map[string]any{"origin_contact_points": "o", "target_contact_points": "t"}, bin: notELF, want: "not a linux executable"},
		"missing binary": {vars: map[string]any{"origin_contact_points": "o", "target_contact_points": "t"}, bin: "/nonexistent/zdm-proxy", want: "/nonexistent/zdm-proxy"},
	} {
		t.Run(name, func(t *testing.T) {
			inv := cmdtest.NewInventory("p1", "p2")
			for k, v := range tc.vars {
				inv.Vars[k] = v
			}
			f, _, _ := cmdtest.Factory(inv)
			f.Settings.Set = tc.set
			f.Dial = func(transport.DialOptions) runner.DialFunc {
				return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
					t.Errorf("dialed %s", h.Name)
					return nil, os.ErrClosed
				}
			}
			err := Run(&Options{F: f, ProxyBinary: tc.bin})
			if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want one usage line with %q", err, tc.want)
			}
		})
	}
}

func TestNoProxiesGroup(t *testing.T) {
	inv := cmdtest.NewInventory("p1")
	inv.Groups[0].Name = "others"
	inv.Vars["origin_contact_points"] = "o"
	f, _, _ := cmdtest.Factory(inv)
	err := Run(&Options{F: f, ProxyBinary: "/x"})
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), `no "proxies" group`) {
		t.Fatal(err)
	}
}

func TestMonitoringInputsBeforeConnecting(t *testing.T) {
	notELF := filepath.Join(t.TempDir(), "prometheus")
	os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755)
	for name, tc := range map[string]struct {
		vars     map[string]any
		monitors bool
		only     bool
		want     string
	}{
		"only without group":    {vars: map[string]any{"metrics_address": "0.0.0.0"}, only: true, want: `no "monitoring" group`},
		"metrics on localhost":  {vars: map[string]any{"metrics_address": "localhost"}, monitors: true, want: `metrics_address: "0.0.0.0"`},
		"prometheus not ELF":    {vars: map[string]any{"metrics_address": "0.0.0.0", "prometheus_binary": notELF}, monitors: true, only: true, want: "not a linux executable"},
		"grafana archive gone":  {vars: map[string]any{"metrics_address": "0.0.0.0", "monitoring_install": "package", "grafana_archive": "/nonexistent/g.tar.gz"}, monitors: true, want: "grafana_archive"},
		"grafana not a tarball": {vars: map[string]any{"metrics_address": "0.0.0.0", "monitoring_install": "package", "grafana_archive": notELF}, monitors: true, want: "not a .tar.gz"},
	} {
		t.Run(name, func(t *testing.T) {
			inv := cmdtest.NewInventory("p1", "p2")
			inv.Vars["origin_contact_points"] = "o"
			inv.Vars["target_contact_points"] = "t"
			for k, v := range tc.vars {
				inv.Vars[k] = v
			}
			if tc.monitors {
				inv.Hosts = append(inv.Hosts, &inventory.Host{Name: "mon", Address: "127.0.0.1", Connection: "local", Vars: map[string]any{}, Groups: []string{"monitoring"}})
				inv.Groups = append(inv.Groups, &inventory.Group{Name: "monitoring", Hosts: []string{"mon"}, Vars: map[string]any{}})
			}
			f, _, _ := cmdtest.Factory(inv)
			f.Dial = func(transport.DialOptions) runner.DialFunc {
				return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
					t.Errorf("dialed %s", h.Name)
					return nil, os.ErrClosed
				}
			}
			err := Run(&Options{F: f, ProxyBinary: "/nonexistent/zdm-proxy", MonitoringOnly: tc.only})
			if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want one usage line with %q", err, tc.want)
			}
		})
	}
}
