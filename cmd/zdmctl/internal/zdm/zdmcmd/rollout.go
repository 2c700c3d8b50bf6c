package zdmcmd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/user"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/output"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/playbooks"
)

// Gate is the health gate of a rollout.
type Gate struct {
	HealthyFor   time.Duration
	Pause        time.Duration
	ReadyTimeout time.Duration
	LockTimeout  time.Duration
	// BreakLock removes a stale fleet lock (its holder ran on this
	// machine and its pid is gone) before taking it.
	BreakLock bool
	// Set from the inventory's rollout: section (see gate.go).
	ReconnectTimeout time.Duration
	Reconnect        string
	ParallelFirst    bool
	MaxUnavailable   inventory.Share // proxies changed at once (rollout.max_unavailable; 1)
	flags            *pflag.FlagSet
}

// AddGateFlags declares the gate flags.
func AddGateFlags(cmd *cobra.Command, g *Gate) {
	g.flags = cmd.Flags()
	cmd.Flags().DurationVar(&g.HealthyFor, "healthy-for", DefaultHealthyFor, "stability window: a restarted proxy's process must have run this long since it started, ready, not restarted by systemd (after a reload: ready this long) (default: inventory rollout.healthy_for, else 1s)")
	cmd.Flags().DurationVar(&g.Pause, "pause", DefaultPause, "extra pause after a changed host (none after the last; default: inventory rollout.pause, else 0)")
	cmd.Flags().DurationVar(&g.ReadyTimeout, "ready-timeout", DefaultReadyTimeout, "how long a changed host may take to become ready (default: inventory rollout.timeout, else 2m)")
	cmd.Flags().DurationVar(&g.LockTimeout, "lock-timeout", 0, "wait this long for another operator's fleet lock (0: fail at once)")
	AddBreakLockFlag(cmd, &g.BreakLock)
}

// Rollout runs one of the zdm playbooks host by host.
type Rollout struct {
	Env      *Env
	Command  string // for messages and the journal: "deploy", "rolling-update", ...
	Playbook string // built-in name
	Gate     Gate
	Binary   *Binary // nil: keep the installed binary
	SkipTags []string
	Extra    map[string]any
	// Journal, when set, records progress; Resume skips its done hosts.
	Journal *zdm.Journal
	Resume  bool
	// Rollback restores a failed host's previous binary and config.
	Rollback bool
	// Hosts overrides the hosts worked on (default: the selected proxies).
	Hosts []string
	// ShowPlan prints each host's config change in check mode.
	ShowPlan bool
	// NoLock skips the fleet lock.
	NoLock bool
	// OneAtATime runs every play host by host (serial 1), e.g. a teardown
	// that lets each proxy drain its clients before the next one stops.
	OneAtATime bool
	// Before runs after the lock is taken, before the playbook (preflight).
	Before func(ctx context.Context) error
	// Files are controller-side files the playbook's copy tasks read
	// (src), served before the playbook's own files.
	Files map[string][]byte
	// Next runs after this rollout succeeded, under the same lock; the
	// two runs are reported as one (one recap, one JSON document).
	Next *Rollout
	// Outcomes is, after Run, what happened to each host worked on.
	Outcomes map[string]Outcome
	// After runs at the end of Run, still under the fleet lock, with Run's
	// result (Outcomes set when the playbook ran); it returns Run's error.
	After func(err error) error

	pb    *playbooks.Playbook
	notes []string // for the recap: found down before the rollout, ...
}

type failure struct {
	host, task, msg, rollback string
	preflight                 bool // failed in a play without serial (checks before any change)
	rolledBack, down          bool // the rollback brought it back ready / left it down
}

// Run takes the fleet lock, runs the playbook with the gate, journal and
// rollback hooks (then Next's, when it succeeded), prints the recap and
// returns the exit error.
func (r *Rollout) Run() error {
	e := r.Env
	f := e.F
	s := f.Settings
	var chain []*Rollout
	for x := r; x != nil; x = x.Next {
		pb, err := playbooks.Find(x.Playbook, s.PlaybookDir)
		if err != nil {
			return cmdutil.UsageError(err)
		}
		if x.OneAtATime {
			pb = oneAtATime(pb)
		}
		x.pb = pb
		chain = append(chain, x)
	}
	runCtx, taskCtx, stop := f.Contexts()
	defer stop()
	defer e.Close() // after the lock's release, which uses its connection

	if !s.Check && !r.NoLock {
		lock, err := r.lock(runCtx)
		if err != nil {
			return err
		}
		defer lock.Release(context.WithoutCancel(runCtx))
	}
	err := r.runChain(runCtx, taskCtx, chain)
	if r.After != nil {
		err = r.After(err)
	}
	return err
}

// runChain runs the rollouts of chain in order (the lock is held).
func (r *Rollout) runChain(runCtx, taskCtx context.Context, chain []*Rollout) error {
	f := r.Env.F
	var total *runner.Result
	var runErr error
	for _, x := range chain {
		res, code, msg, err := x.execute(runCtx, taskCtx)
		if res == nil {
			var reported *cmdutil.ExitError
			if errors.As(err, &reported) && reported.Reported {
				// The step wrote its own document (a refused gate):
				// stdout holds one document already.
				return err
			}
			if total != nil {
				if f.Settings.JSON() {
					// One document: the steps that ran, and the error that
					// stopped the next one before it ran.
					doc := output.Document{ExitCode: cmdutil.ExitCode(err), Error: err.Error(), Result: total}
					if notes := notesOf(chain); len(notes) > 0 {
						doc.Data = map[string]any{"notes": notes}
					}
					if werr := output.WriteJSON(f.IO.Out, doc); werr == nil {
						return &cmdutil.ExitError{Code: doc.ExitCode, Err: err, Reported: true}
					}
				}
				_ = report(f, total, runErr, notesOf(chain))
			}
			return err
		}
		total, runErr = merge(total, res), err
		if code != 0 {
			if f.Settings.JSON() {
				// One document: the run, why it stopped and what happened
				// to each host.
				data := map[string]any{"outcomes": x.Outcomes}
				if notes := notesOf(chain); len(notes) > 0 {
					data["notes"] = notes
				}
				doc := output.Document{ExitCode: code, Error: msg, Result: total, Data: data}
				if werr := output.WriteJSON(f.IO.Out, doc); werr == nil {
					return &cmdutil.ExitError{Code: code, Err: errors.New(msg), Reported: true}
				}
			}
			_ = report(f, total, err, notesOf(chain))
			return &cmdutil.ExitError{Code: code, Err: errors.New(msg)}
		}
	}
	return report(f, total, runErr, notesOf(chain))
}

// merge appends b's plays and hosts to a (nil a: b).
func merge(a, b *runner.Result) *runner.Result {
	if a == nil {
		return b
	}
	out := *a
	out.Playbook = a.Playbook + ", " + b.Playbook
	out.Plays = append(slices.Clip(a.Plays), b.Plays...)
	out.Hosts = append(slices.Clip(a.Hosts), b.Hosts...)
	out.Duration += b.Duration
	out.Stopped = b.Stopped
	out.Interrupted = a.Interrupted || b.Interrupted
	return &out
}

// execute runs this rollout's playbook (lock already held). A nil result
// comes with the error to return; otherwise code is the run's exit code
// and msg says why it is not 0.
func (r *Rollout) execute(runCtx, taskCtx context.Context) (*runner.Result, int, string, error) {
	e := r.Env
	f := e.F
	s := f.Settings
	pb := r.pb
	if s.Check && r.ShowPlan {
		r.printPlan(runCtx)
	}
	if r.Before != nil {
		if err := r.Before(runCtx); err != nil {
			return nil, 0, "", err
		}
	}
	gate := r.Gate.resolve(e.Inv)
	gst := &gateState{clients: map[string]any{}}
	if gatedPlaybooks[r.Playbook] {
		gst = r.probeBefore(runCtx, gate)
		if len(gst.foundDown) > 0 {
			r.notes = append(r.notes, foundDownNote(gst.foundDown))
			fmt.Fprintln(f.IO.ErrOut, foundDownNote(gst.foundDown))
		}
		switch {
		case gst.parallel && len(r.Env.Targets) > 1 && !s.Check:
			pb = parallelPlaybook(pb)
			fmt.Fprintln(f.IO.ErrOut, "first deploy: no proxy of the fleet runs yet, so every proxy is deployed at once (rollout.parallel_first_deploy: false to go host by host)")
		case gate.MaxUnavailable != (inventory.Share{N: 1}) && len(r.Env.Targets) > 1:
			pb = batchedPlaybook(pb, gate.MaxUnavailable)
			fmt.Fprintf(f.IO.ErrOut, "up to %s proxies changed at once (rollout.max_unavailable)\n", gate.MaxUnavailable)
		}
	}
	runID := newRunID()
	vars := e.Fleet.PlaybookVars()
	vars["zdm_run_id"] = runID
	vars["zdm_binary"] = ""
	if r.Binary != nil {
		vars["zdm_binary"] = r.Binary.Name
	}
	maps.Copy(vars, gateVars(gate, gst))
	maps.Copy(vars, r.Extra)
	maps.Copy(vars, e.Overrides)

	var (
		mu      sync.Mutex
		fail    *failure
		fails   []*failure
		done    = map[string]bool{}
		earlier = map[string]bool{}
	)
	if r.Resume && r.Journal != nil {
		for _, h := range r.Journal.Done {
			earlier[h] = true
		}
	}
	hooks := runner.Hooks{
		AfterBatch: func(ctx context.Context, b *runner.Batch) error {
			if len(b.Play.Serial) > 0 && !s.Check && batchGated(b) {
				if err := r.waitFleetClients(ctx, gate, gst); err != nil {
					return err
				}
			}
			if len(b.Play.Serial) == 0 || b.Index >= b.Of || gate.Pause <= 0 || s.Check || !batchGated(b) {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(gate.Pause):
				return nil
			}
		},
		OnHostDone: func(play *playbooks.Play, host string) {
			if len(play.Serial) > 0 || r.Hosts != nil {
				mu.Lock()
				done[host] = true
				mu.Unlock()
			}
			if r.Journal != nil && len(play.Serial) > 0 && !s.Check {
				if err := r.Journal.MarkDone(host); err != nil {
					fmt.Fprintf(f.IO.ErrOut, "warning: %v\n", err)
				}
			}
		},
		OnHostFailed: func(ctx context.Context, hf *runner.HostFailure) {
			fl := &failure{host: hf.Host, task: hf.Task.Name, msg: hf.Result.Msg, preflight: len(hf.Play.Serial) == 0}
			if r.Rollback && len(hf.Play.Serial) > 0 && !s.Check && hf.Conn != nil && hf.Task.Name != gateClientsTask {
				fmt.Fprintf(f.IO.ErrOut, "rolling back %s ...\n", hf.Host)
				what, err := zdm.Rollback(context.WithoutCancel(ctx), hf.Conn, runID, e.AdminPort(hf.Host), e.APIPort(hf.Host))
				if err != nil {
					fl.rollback, fl.down = "rollback FAILED: "+err.Error(), true
				} else {
					fl.rollback, fl.rolledBack = "restored "+what+", proxy ready again", true
					if what == "nothing" {
						fl.rollback = "nothing to roll back, proxy ready again"
					}
				}
			}
			mu.Lock()
			if fail == nil {
				fail = fl
			}
			fails = append(fails, fl)
			mu.Unlock()
		},
	}
	if r.Resume && r.Journal != nil {
		hooks.SkipHost = func(play *playbooks.Play, host string) bool {
			return len(play.Serial) > 0 && r.Journal.IsDone(host)
		}
	}
	if r.Journal != nil && !s.Check {
		r.Journal.RunID = runID
		if err := r.Journal.Save(); err != nil {
			return nil, 0, "", err
		}
	}
	prog := &output.Progress{Err: f.IO.ErrOut, Verbose: s.Verbose}
	if !s.JSON() {
		prog.Diff = f.IO.Out
	}
	readFile := func(p string) ([]byte, error) {
		if r.Binary != nil && p == "zdm-proxy" {
			return r.Binary.Data, nil
		}
		if b, ok := r.Files[p]; ok {
			return b, nil
		}
		return pb.ReadFile(p)
	}
	hosts := e.Targets
	if r.Hosts != nil {
		hosts = r.Hosts
	}
	limit := strings.Join(hosts, ",")
	if r.Playbook == "zdm-deploy" && !s.Check && !gst.parallel && len(hosts) > 1 {
		r.skipUnchanged(runCtx, taskCtx, &hooks, pb, vars, limit, readFile, gst)
	}
	res, err := runner.Run(runCtx, runner.RunOptions{
		Inventory:   e.Inv,
		Playbook:    pb,
		Vars:        vars,
		Limit:       limit,
		SkipTags:    r.SkipTags,
		Check:       s.Check,
		Diff:        s.Diff,
		Forks:       s.Forks,
		Dial:        e.Dial,
		Observer:    prog,
		Hooks:       hooks,
		TaskContext: taskCtx,
		ReadFile:    readFile,
	})
	if res == nil {
		return nil, 0, "", cmdutil.UsageError(err)
	}
	worked := hosts
	mu.Lock()
	r.Outcomes = hostOutcomes(worked, done, earlier, fails, res)
	mu.Unlock()
	code := res.ExitCode()
	if code == 0 {
		if r.Journal != nil && !s.Check {
			_ = r.Journal.Remove()
		}
		return res, 0, "", err
	}
	msg := r.failureMessage(res, fail, worked, fails)
	if fail != nil && fail.preflight && r.Rollback {
		msg = preflightMessage(r.Command, r.Env.Targets, fails)
	}
	var downHosts []*inventory.Host
	for _, h := range worked {
		if r.Outcomes[h] == OutcomeDown {
			downHosts = append(downHosts, e.Host(h))
		}
	}
	if len(downHosts) > 0 {
		msg += "\n" + downWarning(f.IO.ErrOut, downHosts)
	}
	if r.Journal != nil && !s.Check && fail != nil {
		_ = r.Journal.MarkFailed(fail.host, fail.task+": "+fail.msg)
	}
	return res, code, msg, err
}

func (r *Rollout) failureMessage(res *runner.Result, fl *failure, hosts []string, fails []*failure) string {
	e := r.Env
	var b strings.Builder
	switch {
	case res.Interrupted:
		fmt.Fprintf(&b, "%s interrupted", r.Command)
	case fl == nil:
		why := res.Stopped
		if why == "" {
			why = "a host was unreachable"
		}
		fmt.Fprintf(&b, "%s stopped: %s", r.Command, why)
	default:
		fmt.Fprintf(&b, "%s stopped at %s: task %q failed: %s", r.Command, fl.host, fl.task, oneLine(fl.msg))
	}
	if sum := outcomeSummary(hosts, r.Outcomes, fails); sum != "" {
		b.WriteString("; " + sum)
	}
	if res.Interrupted {
		if r.Journal != nil {
			fmt.Fprintf(&b, "; resume with: zdmctl -i %s %s --resume", e.Path, r.Command)
		}
		return b.String()
	}
	if r.Journal != nil {
		fmt.Fprintf(&b, "; fix the cause, then resume with: zdmctl -i %s %s --resume", e.Path, r.Command)
	} else {
		fmt.Fprintf(&b, "; fix the cause, then run zdmctl -i %s %s again", e.Path, r.Command)
	}
	return b.String()
}

// preflightMessage lists the failed checks, hosts with the same failure
// together, in inventory order.
func preflightMessage(command string, order []string, fails []*failure) string {
	var whys []string
	hosts := map[string][]string{}
	for _, h := range order {
		for _, fl := range fails {
			if fl.host != h {
				continue
			}
			why := fl.task + ": " + strings.TrimPrefix(oneLine(fl.msg), "non-zero exit code 1: ")
			if hosts[why] == nil {
				whys = append(whys, why)
			}
			hosts[why] = append(hosts[why], h)
		}
	}
	var parts []string
	for _, why := range whys {
		parts = append(parts, strings.Join(hosts[why], ", ")+": "+why)
	}
	return fmt.Sprintf("%s: preflight failed, nothing was changed: %s", command, strings.Join(parts, "; "))
}

func (r *Rollout) lock(ctx context.Context) (*zdm.Lock, error) {
	e := r.Env
	first := e.Fleet.Proxies[0]
	conn, err := e.Dial(ctx, first)
	if err != nil {
		return nil, &cmdutil.ExitError{Code: DialExitCode(err), Err: fmt.Errorf("fleet lock: %w", err)}
	}
	lock, err := zdm.AcquireLock(ctx, conn, holder(), os.Getpid(), r.Gate.LockTimeout)
	var le *zdm.LockedError
	if errors.As(err, &le) {
		r.explainLock(ctx, conn, le)
		switch {
		case r.Gate.BreakLock && le.Stale != "":
			lock, err = r.breakLock(ctx, conn, le)
		case r.Gate.BreakLock:
			err = fmt.Errorf("%w (--break-lock removes only a lock known to be stale: taken on this machine by a pid that is gone)", err)
		}
	}
	if err != nil {
		conn.Close()
		return nil, &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: err}
	}
	return lock, nil
}

func holder() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	h, _ := os.Hostname()
	return name + "@" + h
}

func newRunID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// report prints the recap (or JSON) like `playbook run`.
func report(f *cmdutil.Factory, res *runner.Result, runErr error, notes []string) error {
	code := res.ExitCode()
	if f.Settings.JSON() {
		doc := output.Document{OK: code == 0, ExitCode: code, Result: res}
		if len(notes) > 0 {
			doc.Data = map[string]any{"notes": notes}
		}
		if runErr != nil && !errors.Is(runErr, runner.ErrStopped) {
			doc.Error = runErr.Error()
		} else if res.Stopped != "" {
			doc.Error = res.Stopped
		}
		if err := output.WriteJSON(f.IO.Out, doc); err != nil {
			return err
		}
	} else {
		output.Recap(f.IO.Out, res)
		for _, n := range notes {
			fmt.Fprintln(f.IO.Out, n)
		}
	}
	if code == 0 {
		return nil
	}
	return &cmdutil.ExitError{Code: code, Reported: true}
}

// Contains reports whether list holds s.
func Contains(list []string, s string) bool { return slices.Contains(list, s) }

// oneAtATime is pb with serial 1 on every play that has no serial.
func oneAtATime(pb *playbooks.Playbook) *playbooks.Playbook {
	return reserial(pb, func(p *playbooks.Play) bool { return len(p.Serial) == 0 }, playbooks.SerialStep{N: 1})
}
