package modules

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/zdmctl/zdmctl/deploy/transport"
)

// systemdModule installs a unit file (optional), reloads systemd when it
// changed, and brings the unit to the wanted enabled/active state, checking
// that a started unit is active.
type systemdModule struct{}

func init() { Register(systemdModule{}) }

func (systemdModule) Spec() Spec {
	return Spec{
		Name: "systemd",
		Params: map[string]Param{
			"name":          {Kind: KindString, Required: true},
			"content":       {Kind: KindString},
			"unit_dir":      {Kind: KindString},
			"enabled":       {Kind: KindBool},
			"state":         {Kind: KindString, Choices: []string{"started", "stopped", "restarted", "reloaded"}},
			"daemon_reload": {Kind: KindBool},
		},
	}
}

func unitName(n string) string {
	if strings.Contains(n, ".") {
		return n
	}
	return n + ".service"
}

func (systemdModule) Run(ctx context.Context, env *Env, a Args) Result {
	unit := unitName(a.Str("name"))
	q := transport.ShellQuote(unit)
	r := Result{Data: map[string]any{"name": unit}}
	reload, err := a.Bool("daemon_reload", false)
	if err != nil {
		return Fail(err)
	}
	// One round trip learns the unit file's state (when installing one) and
	// the unit's enabled/active states.
	query := fmt.Sprintf("systemctl is-enabled %s 2>/dev/null; echo; systemctl is-active %s 2>/dev/null; exit 0", q, q)
	var stateOut string
	if a.Has("content") {
		dir := a.Str("unit_dir")
		if dir == "" {
			dir = "/etc/systemd/system"
		}
		unitPath := path.Join(dir, unit)
		st, out, err := env.probeWith(ctx, unitPath, query)
		if err != nil {
			return Fail(err)
		}
		stateOut = out
		fr := env.putFileState(ctx, unitPath, st, []byte(a.Str("content")), fileAttrs{Mode: 0o644, ModeSet: true})
		if fr.Failed {
			return fr
		}
		r.Diff = fr.Diff
		if fr.Changed {
			r.Changed, reload = true, true
		}
	} else {
		st, err := env.exec(ctx, query)
		if err != nil {
			return Fail(err)
		}
		stateOut = string(st.Stdout)
	}
	enabledNow, activeNow := "", ""
	var nonEmpty []string
	for _, l := range strings.Split(stateOut, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			nonEmpty = append(nonEmpty, l)
		}
	}
	// is-enabled prints nothing for unknown units on some versions.
	if len(nonEmpty) == 2 {
		enabledNow, activeNow = nonEmpty[0], nonEmpty[1]
	} else if len(nonEmpty) == 1 {
		activeNow = nonEmpty[0]
	}
	r.Data["was_enabled"] = enabledNow
	r.Data["was_active"] = activeNow
	var cmds []string
	enableCmd := ""
	if a.Has("enabled") {
		want, err := a.Bool("enabled", false)
		if err != nil {
			return Fail(err)
		}
		isEnabled := enabledNow == "enabled" || enabledNow == "enabled-runtime"
		if want && !isEnabled {
			enableCmd = "systemctl enable " + q
		} else if !want && isEnabled {
			enableCmd = "systemctl disable " + q
		}
	}
	// systemctl enable/disable reload the manager themselves (unless
	// --no-reload): a second, explicit daemon-reload would double the
	// slowest step of installing a unit.
	if reload && enableCmd == "" {
		cmds = append(cmds, "systemctl daemon-reload")
	}
	if enableCmd != "" {
		cmds = append(cmds, enableCmd)
	}
	active := activeNow == "active"
	verify := false
	switch a.Str("state") {
	case "started":
		if !active {
			cmds = append(cmds, "systemctl start "+q)
			verify = true
		}
	case "stopped":
		if active || activeNow == "activating" || activeNow == "reloading" {
			cmds = append(cmds, "systemctl stop "+q)
		}
	case "restarted":
		cmds = append(cmds, "systemctl restart "+q)
		verify = true
	case "reloaded":
		cmds = append(cmds, "systemctl reload-or-restart "+q)
		verify = true
	}
	if len(cmds) > 0 {
		r.Changed = true
	}
	if len(cmds) == 0 || env.Check {
		return r
	}
	if verify {
		cmds = append(cmds, "systemctl is-active --quiet "+q+" || { echo "+transport.ShellQuote(unit+" is not active after start")+" >&2; systemctl status --no-pager -n 20 "+q+" >&2; exit 3; }")
	}
	if err := env.runAll(ctx, cmds); err != nil {
		return Fail(fmt.Errorf("systemd %s: %w", unit, err))
	}
	return r
}
