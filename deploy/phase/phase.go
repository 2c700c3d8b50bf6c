// Package phase runs an operation as an ordered list of phases, k0sctl
// style: every phase is prepared first (so a bad config fails before any
// host is touched), then each one that should run runs (or dry-runs in
// check mode), and every prepared phase is cleaned up at the end, in
// reverse order, whatever happened.
//
// zdmctl's operations (deploy, rolling-update, status) compose phases such
// as "run playbook X" (runner.Run), "health gate" or "record journal".
package phase

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// Phase is one step of an operation. Only Title and Run are required; the
// optional methods are the interfaces below.
type Phase interface {
	Title() string
	Run(ctx context.Context) error
}

// Preparer checks inputs and gathers what Run needs, before any phase runs.
type Preparer interface {
	Prepare(ctx context.Context) error
}

// Conditional phases can say they have nothing to do.
type Conditional interface{ ShouldRun() bool }

// DryRunner predicts instead of acting in check mode. Phases without it are
// skipped in check mode.
type DryRunner interface {
	DryRun(ctx context.Context) error
}

// CleanUpper releases what Prepare or Run acquired.
type CleanUpper interface{ CleanUp(ctx context.Context) }

// Manager runs phases in order.
type Manager struct {
	Phases []Phase
	DryRun bool
	// OnPhase, when set, is told when a phase starts and ends
	// (err nil on success; skipped phases report skipped=true).
	OnPhase func(title string, skipped bool, err error)
	Log     *slog.Logger
}

// Run prepares every phase, then runs them in order and stops at the first
// error; clean-up always happens. Cancelling ctx stops before the next
// phase.
func (m *Manager) Run(ctx context.Context) (err error) {
	log := m.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	prepared := 0
	defer func() {
		cctx := context.WithoutCancel(ctx)
		for i := prepared - 1; i >= 0; i-- {
			if c, ok := m.Phases[i].(CleanUpper); ok {
				c.CleanUp(cctx)
			}
		}
	}()
	for _, p := range m.Phases {
		if pr, ok := p.(Preparer); ok {
			if err := pr.Prepare(ctx); err != nil {
				return fmt.Errorf("prepare %s: %w", p.Title(), err)
			}
		}
		prepared++
	}
	for _, p := range m.Phases {
		if err := ctx.Err(); err != nil {
			return err
		}
		if c, ok := p.(Conditional); ok && !c.ShouldRun() {
			m.report(p.Title(), true, nil)
			continue
		}
		var err error
		switch dr, ok := p.(DryRunner); {
		case !m.DryRun:
			log.Debug("phase start", "phase", p.Title())
			err = p.Run(ctx)
		case ok:
			err = dr.DryRun(ctx)
		default:
			m.report(p.Title(), true, nil)
			continue
		}
		m.report(p.Title(), false, err)
		if errors.Is(err, ErrSkip) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p.Title(), err)
		}
	}
	return nil
}

func (m *Manager) report(title string, skipped bool, err error) {
	if m.OnPhase != nil {
		m.OnPhase(title, skipped, err)
	}
}

// Func makes a Phase from a title and a function.
func Func(title string, run func(ctx context.Context) error) Phase { return funcPhase{title, run} }

type funcPhase struct {
	title string
	run   func(ctx context.Context) error
}

func (f funcPhase) Title() string                 { return f.title }
func (f funcPhase) Run(ctx context.Context) error { return f.run(ctx) }

// ErrSkip may be returned by a phase to end the operation early without
// failing it; Manager.Run then returns nil.
var ErrSkip = errors.New("nothing more to do")
