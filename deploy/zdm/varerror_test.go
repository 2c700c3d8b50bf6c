package zdm

import (
	"errors"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/inventory"
)

const locInv = `vars:
  origin_contact_points: "10.0.1.1"
  target_contact_points: "10.0.2.1"
  read_mode: %GLOBAL%
  my_team: storage
groups:
  proxies:
    vars:
      proxy_max_stream_ids: %GROUP%
    hosts:
      p1: {address: 10.0.0.11}
      p2:
        address: 10.0.0.12
        vars:
          metrics_port: %HOST%
  monitoring:
    hosts:
      mon: {address: 10.0.0.20, vars: {prometheus_retention: %MON%}}
`

func locInvText(global, group, host, mon string) string {
	return strings.NewReplacer("%GLOBAL%", global, "%GROUP%", group, "%HOST%", host, "%MON%", mon).Replace(locInv)
}

// A bad value is reported at the line and field that set it, whichever
// scope (global, group, host) that is, and not for every host.
func TestBadVarNamesFileLineAndField(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"global", locInvText("DUAL", "2048", "14001", "15d"), `:4: vars.read_mode: "DUAL": allowed PRIMARY_ONLY, DUAL_ASYNC_ON_SECONDARY`},
		{"group", locInvText("PRIMARY_ONLY", "lots", "14001", "15d"), `:9: groups.proxies.vars.proxy_max_stream_ids: "lots": allowed an integer from 1 to 32768`},
		{"host", locInvText("PRIMARY_ONLY", "2048", "0", "15d"), `:15: groups.proxies.hosts.p2.vars.metrics_port: "0": allowed an integer from 1 to 65535`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := loadInv(t, tc.text)
			_, err := Plan(inv, nil)
			var ie *inventory.Error
			if !errors.As(err, &ie) || !strings.HasSuffix(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), inv.Path+":") {
				t.Fatalf("Plan: %v\nwant %s%s", err, inv.Path, tc.want)
			}
		})
	}
	t.Run("monitoring", func(t *testing.T) {
		inv := loadInv(t, strings.Replace(locInvText("PRIMARY_ONLY", "2048", "14001", "15x"), "read_mode:", "metrics_address: \"0.0.0.0\"\n  read_mode:", 1))
		f, err := Plan(inv, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = PlanMonitoring(inv, f, nil)
		if want := `:19: groups.monitoring.hosts.mon.vars.prometheus_retention: "15x": `; err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("PlanMonitoring: %v\nwant %s", err, want)
		}
	})
}

// A bad value given on the command line says so instead of naming the
// file's line, which holds a good value.
func TestBadOverrideSaysCommandLine(t *testing.T) {
	inv := loadInv(t, locInvText("PRIMARY_ONLY", "2048", "14001", "15d"))
	_, err := Plan(inv, map[string]any{"read_mode": "DUAL"})
	var cl *CommandLineError
	if !errors.As(err, &cl) || err.Error() != `var read_mode: "DUAL": allowed PRIMARY_ONLY, DUAL_ASYNC_ON_SECONDARY (given on the command line)` {
		t.Fatalf("Plan: %v", err)
	}
}

// A misspelt setting would be ignored and the proxy would run with the
// default: it stops the plan, at its line, with the name meant. A var far
// from every setting (my_team) is the operator's own.
func TestMisspeltVarStopsPlan(t *testing.T) {
	text := strings.Replace(locInvText("PRIMARY_ONLY", "2048", "14001", "15d"), "      p1: {address: 10.0.0.11}", "      p1: {address: 10.0.0.11, vars: {Proxy-Listen-Prot: 9043}}", 1)
	text = strings.Replace(text, "  my_team: storage", "  my_team: storage\n  readmode: DUAL_ASYNC_ON_SECONDARY", 1)
	inv := loadInv(t, text)
	_, err := Plan(inv, nil)
	if err == nil {
		t.Fatal("Plan accepted misspelt vars")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{
		inv.Path + ":6: vars.readmode: unknown var; did you mean read_mode?",
		inv.Path + ":12: groups.proxies.hosts.p1.vars.Proxy-Listen-Prot: unknown var; did you mean proxy_listen_port?",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Plan error:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	if _, err := Plan(loadInv(t, locInvText("PRIMARY_ONLY", "2048", "14001", "15d")), nil); err != nil {
		t.Fatalf("Plan with only known vars and my_team: %v", err)
	}
}

// Each known var is listed once.
func TestKnownVarsOnce(t *testing.T) {
	known := KnownVars()
	for i, a := range known {
		for _, b := range known[i+1:] {
			if a == b {
				t.Errorf("%s twice", a)
			}
		}
	}
}
