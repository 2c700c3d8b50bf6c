package zdmcmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/output"
	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// StepGate is the go/no-go gate of one migration step a rollout command
// takes (the checks `zdmctl phase` shows before it).
type StepGate struct {
	Step    int    // zdm.Step*
	Command string // the step, as the operator types it
	// Key and Value: the setting the step moves to; when every proxy is
	// ready and already runs it there is nothing to gate ("" never).
	Key, Value string
}

// GateError is a step refused by its failing checks.
type GateError struct {
	Command string
	Failing []zdm.Check
}

func (g *GateError) Error() string {
	var parts []string
	for _, c := range g.Failing {
		p := fmt.Sprintf("%s = %s (want %s)", c.Name, c.Value, c.Want)
		if c.Error != "" {
			p += " [" + c.Error + "]"
		}
		parts = append(parts, p)
	}
	return fmt.Sprintf("%s refused, nothing changed: %d go/no-go check(s) fail: %s; fix them (zdmctl phase shows every check), or override with --force --reason \"why\" (recorded in the journal of actions)",
		g.Command, len(g.Failing), strings.Join(parts, "; "))
}

// GateReport is the data of a refused step's -o json document.
type GateReport struct {
	Command string      `json:"command"`
	Checks  []zdm.Check `json:"checks"`
	Failing []zdm.Check `json:"failing"`
}

// EnforceGates runs the checks of gates before anything changes, prints
// them on stderr, and refuses (exit 3, naming each failing check with its
// live value and threshold) when one fails, unless force: then it warns
// and records the override in the journal of actions. Checks skipped for
// want of a Prometheus do not block.
func (e *Env) EnforceGates(ctx context.Context, gates []StepGate, force Force) ([]zdm.Check, error) {
	if len(gates) == 0 {
		return nil, nil
	}
	fs := e.ProbeForChange(ctx)
	var todo []StepGate
	for _, g := range gates {
		if g.Key != "" && runsAlready(fs.Proxies, g.Key, g.Value) {
			fmt.Fprintf(e.F.IO.ErrOut, "go/no-go: every proxy already runs %s=%s: no checks before %s\n", g.Key, g.Value, g.Command)
			continue
		}
		todo = append(todo, g)
	}
	if len(todo) == 0 {
		return nil, nil
	}
	var checks []zdm.Check
	var names []string
	err := e.withGateSource(ctx, func(s zdm.GateSettings, q zdm.Querier) {
		seen := map[string]bool{}
		for _, g := range todo {
			names = append(names, g.Command)
			for _, c := range zdm.GatesBefore(g.Step, fs.Proxies, s, q) {
				if !seen[c.Name] {
					seen[c.Name] = true
					checks = append(checks, c)
				}
			}
		}
	})
	if err != nil {
		return nil, cmdutil.UsageError(err)
	}
	command := strings.Join(names, " and ")
	PrintChecks(e.F.IO.ErrOut, "go/no-go checks before "+command+":", checks)
	failing := zdm.Failing(checks)
	if len(failing) == 0 {
		return checks, nil
	}
	if force.Force {
		return checks, e.Override(command, force, failing, "")
	}
	gerr := &GateError{Command: command, Failing: failing}
	if e.F.Settings.JSON() {
		doc := output.Document{OK: false, ExitCode: cmdutil.ExitGate, Error: gerr.Error(), Data: GateReport{Command: command, Checks: checks, Failing: failing}}
		if werr := output.WriteJSON(e.F.IO.Out, doc); werr == nil {
			return checks, &cmdutil.ExitError{Code: cmdutil.ExitGate, Err: gerr, Reported: true}
		}
	}
	return checks, &cmdutil.ExitError{Code: cmdutil.ExitGate, Err: gerr}
}

// runsAlready reports whether every proxy is ready and runs key=value.
func runsAlready(ps []zdm.HostStatus, key, value string) bool {
	for _, p := range ps {
		v := ""
		switch key {
		case "read_mode":
			v = p.ReadMode
		case "primary_cluster":
			v = p.PrimaryCluster
		}
		if !p.Ready || !strings.EqualFold(v, value) {
			return false
		}
	}
	return len(ps) > 0
}

// ProbeForChange probes the fleet before rolling out the change e was
// loaded with: a proxy that runs the inventory's config without the
// change, or the change itself (a run stopped midway), has no drift.
func (e *Env) ProbeForChange(ctx context.Context) *FleetStatus {
	fs := e.Probe(ctx)
	if len(e.Overrides) == 0 {
		return fs
	}
	base, err := zdm.Plan(e.Inv, nil)
	if err != nil {
		return fs
	}
	for i := range fs.Proxies {
		p := &fs.Proxies[i]
		if c := base.Configs[p.Host]; c != nil && p.Drifted() && p.RunsConfig(c.SHA256()) {
			no := false
			p.Drift, p.DriftWhy, p.DriftChanges = &no, "", nil
		}
	}
	fs.Summary, fs.OK = zdm.Summary(fs.Proxies)
	return fs
}
