package runner

import (
	"context"
	"fmt"
)

// PlaybookPhase runs a playbook as a phase (see package deploy/phase).
// After it ran, Result holds the run; a run with failures is an error.
type PlaybookPhase struct {
	Name    string
	Options RunOptions
	Result  *Result
}

// Title names the phase.
func (p *PlaybookPhase) Title() string {
	if p.Name != "" {
		return p.Name
	}
	return "run playbook " + p.Options.Playbook.Name
}

// Run runs the playbook.
func (p *PlaybookPhase) Run(ctx context.Context) error { return p.run(ctx, p.Options.Check) }

// DryRun runs the playbook in check mode.
func (p *PlaybookPhase) DryRun(ctx context.Context) error { return p.run(ctx, true) }

func (p *PlaybookPhase) run(ctx context.Context, check bool) error {
	opts := p.Options
	opts.Check = check
	res, err := Run(ctx, opts)
	p.Result = res
	if err != nil {
		return err
	}
	if code := res.ExitCode(); code != ExitOK {
		return fmt.Errorf("playbook %s: exit %d", res.Playbook, code)
	}
	return nil
}
