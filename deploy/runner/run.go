package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/playbooks"
	"github.com/zdmctl/zdmctl/playbooks/tmpl"
)

// run is one Run's state.
type run struct {
	opts    RunOptions
	taskCtx context.Context
	obs     Observer
	res     *Result
	hosts   map[string]*hostState
	order   []string // hosts in first-seen order
	forks   chan struct{}
	topo    topology
	mu      sync.Mutex // guards res task lists and summaries
}

// Run executes the playbook and returns its result. The error is non-nil
// for problems before anything ran (bad pattern, vars), or wraps ErrStopped
// when the rollout stopped; per-host failures are in the Result (see
// Result.ExitCode).
func Run(ctx context.Context, opts RunOptions) (*Result, error) {
	if opts.Inventory == nil || opts.Playbook == nil {
		return nil, errors.New("runner: Inventory and Playbook are required")
	}
	if opts.Forks <= 0 {
		opts.Forks = 10
	}
	if opts.Dial == nil {
		opts.Dial = DialWith(transport.DialOptions{})
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.ReadFile == nil {
		opts.ReadFile = opts.Playbook.ReadFile
	}
	opts.ReadFile = readOnce(opts.ReadFile)
	r := &run{
		opts:    opts,
		taskCtx: opts.TaskContext,
		obs:     opts.Observer,
		hosts:   map[string]*hostState{},
		forks:   make(chan struct{}, opts.Forks),
		res:     &Result{Playbook: opts.Playbook.Path, Check: opts.Check, Started: time.Now(), registered: map[string]map[string]any{}},
	}
	if r.taskCtx == nil {
		r.taskCtx = context.WithoutCancel(ctx)
	}
	if r.obs == nil {
		r.obs = nopObserver{}
	}
	plays, err := r.prepare()
	if err != nil {
		return nil, err
	}
	defer r.cleanUp()
	var runErr error
	for i, play := range opts.Playbook.Plays {
		if err := r.runPlay(ctx, play, plays[i]); err != nil {
			runErr = err
			break
		}
	}
	r.finish(ctx)
	return r.res, runErr
}

// prepare selects each play's hosts and computes their base vars, so that
// a bad pattern or var fails before any host is touched.
func (r *run) prepare() ([][]string, error) {
	inv := r.opts.Inventory
	all, err := inv.Select("all")
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	r.topo = newTopology(all)
	var limit map[string]bool
	if r.opts.Limit != "" {
		hs, err := inv.Select(r.opts.Limit)
		if err != nil {
			return nil, fmt.Errorf("--limit %q: %w", r.opts.Limit, err)
		}
		limit = map[string]bool{}
		for _, h := range hs {
			limit[h.Name] = true
		}
	}
	out := make([][]string, len(r.opts.Playbook.Plays))
	for i, play := range r.opts.Playbook.Plays {
		hs, err := inv.Select(play.Hosts)
		if err != nil {
			return nil, fmt.Errorf("play %q: hosts %q: %w", play.Name, play.Hosts, err)
		}
		for _, h := range hs {
			if limit != nil && !limit[h.Name] {
				continue
			}
			out[i] = append(out[i], h.Name)
			if _, ok := r.hosts[h.Name]; ok {
				continue
			}
			base, err := inv.EffectiveVars(h.Name, r.opts.Vars)
			if err != nil {
				return nil, fmt.Errorf("vars of host %s: %w", h.Name, err)
			}
			hs := &hostState{host: h, base: base, registered: map[string]any{},
				summary: &HostSummary{Host: h.Name, Status: "not_run"}}
			hs.secrets = secretValues(inv, base)
			r.hosts[h.Name] = hs
			r.order = append(r.order, h.Name)
		}
	}
	return out, nil
}

func (r *run) cleanUp() {
	for _, name := range r.order {
		if hs := r.hosts[name]; hs.conn != nil {
			if err := hs.conn.Close(); err != nil {
				fmt.Fprintf(r.opts.Log, "close %s: %v\n", name, err)
			}
		}
	}
}

func (r *run) finish(ctx context.Context) {
	r.res.Duration = Seconds(time.Since(r.res.Started))
	r.res.Interrupted = ctx.Err() != nil
	for _, name := range r.order {
		hs := r.hosts[name]
		hs.summary.Duration = Seconds(hs.busy)
		r.res.Hosts = append(r.res.Hosts, hs.summary)
		r.res.registered[name] = hs.registered
	}
	r.obs.RunDone(r.res)
}

func (r *run) runPlay(ctx context.Context, play *playbooks.Play, selected []string) error {
	if ctx.Err() != nil {
		return nil
	}
	pr := &PlayResult{Name: play.Name}
	r.res.Plays = append(r.res.Plays, pr)
	var hosts []string
	for _, h := range selected {
		hs := r.hosts[h]
		if hs.failed || hs.unreachable {
			continue // failed hosts sit out the rest of the run
		}
		if r.opts.Hooks.SkipHost != nil && r.opts.Hooks.SkipHost(play, h) {
			continue
		}
		hosts = append(hosts, h)
	}
	pr.Hosts = hosts
	r.obs.PlayStart(play, hosts)
	if len(hosts) == 0 {
		return nil
	}
	maxFail := play.MaxFailPercentage
	if maxFail < 0 {
		if len(play.Serial) > 0 {
			maxFail = 0
		} else {
			maxFail = 100
		}
	}
	batches := Batches(hosts, play.Serial)
	for i, bh := range batches {
		if ctx.Err() != nil {
			return nil
		}
		br := &BatchResult{Index: i + 1, Of: len(batches), Hosts: bh}
		pr.Batches = append(pr.Batches, br)
		b := &Batch{Play: play, Index: i + 1, Of: len(batches), Hosts: bh, Result: br, run: r}
		if h := r.opts.Hooks.BeforeBatch; h != nil {
			if err := h(ctx, b); err != nil {
				return r.stop(br, fmt.Sprintf("play %q batch %d/%d: before-batch check failed: %v", play.Name, b.Index, b.Of, err))
			}
		}
		r.obs.BatchStart(play, b.Index, b.Of, bh)
		aborted := r.runBatch(ctx, play, br)
		bad := len(br.Failed) + len(br.Unreachable)
		var reason string
		switch {
		case aborted && bad > 0:
			reason = fmt.Sprintf("play %q batch %d/%d: %s failed and any_errors_fatal is set", play.Name, b.Index, b.Of, plural(bad, "host", "hosts"))
		case bad > 0 && pct(bad, len(bh)) > maxFail:
			reason = fmt.Sprintf("play %q batch %d/%d: %d of %d hosts failed (%s%%), over max_fail_percentage %s%%",
				play.Name, b.Index, b.Of, bad, len(bh), formatFloat(pct(bad, len(bh))), formatFloat(maxFail))
		}
		if reason == "" && ctx.Err() == nil && r.opts.Hooks.AfterBatch != nil {
			if err := r.opts.Hooks.AfterBatch(ctx, b); err != nil {
				reason = fmt.Sprintf("play %q batch %d/%d: after-batch check failed: %v", play.Name, b.Index, b.Of, err)
			}
		}
		if reason != "" {
			err := r.stop(br, reason)
			r.obs.BatchDone(play, br)
			return err
		}
		r.obs.BatchDone(play, br)
	}
	return nil
}

func (r *run) stop(br *BatchResult, reason string) error {
	br.Stopped = reason
	r.res.Stopped = reason
	return fmt.Errorf("%w: %s", ErrStopped, reason)
}

// runBatch runs the batch's tasks on its hosts in parallel (each host goes
// through its tasks at its own pace), then the notified handlers. It
// reports whether any_errors_fatal cut the batch short.
func (r *run) runBatch(ctx context.Context, play *playbooks.Play, br *BatchResult) bool {
	var abort abortFlag
	r.parallel(br.Hosts, func(hs *hostState) {
		hs.done = false
		if !r.connect(ctx, hs, play, br) {
			if play.AnyErrorsFatal {
				abort.set()
			}
			return
		}
		taint := tmpl.NewTaint(withDerived(secretValues(r.opts.Inventory, hs.base), hs.derived))
		vars, err := hostVars(hs.base, hs.host, r.topo, play.Vars, r.opts.Vars, hs.registered, taint)
		if err != nil {
			r.hostFailed(ctx, hs, play, nil, br, &TaskResult{Play: play.Name, Task: "vars", Host: hs.host.Name, Status: "failed", Msg: err.Error(), err: err})
			return
		}
		hs.vars = vars
		hs.derived = append(hs.derived, taint.Derived()...)
		hs.secrets = withDerived(secretValues(r.opts.Inventory, vars), hs.derived) // play vars may add secrets
		hs.notified = map[string]bool{}
		for _, t := range play.Tasks {
			if ctx.Err() != nil || abort.isSet() {
				return
			}
			if !r.selectedByTags(t) {
				continue
			}
			if t.RunOnce && hs.host.Name != br.Hosts[0] {
				continue
			}
			if !r.runTask(ctx, hs, play, t, br, false) {
				if play.AnyErrorsFatal {
					abort.set()
				}
				return
			}
		}
		hs.done = true
	})
	// Handlers: only hosts still healthy, only handlers notified, in the
	// order they are declared.
	r.parallel(br.Hosts, func(hs *hostState) {
		if !hs.done || hs.failed || hs.unreachable || len(hs.notified) == 0 {
			return
		}
		if abort.isSet() {
			hs.done = false // its handlers will not run
			return
		}
		for _, h := range play.Handlers {
			if !hs.notified[h.Name] {
				continue
			}
			if ctx.Err() != nil || !r.runTask(ctx, hs, play, h, br, true) {
				hs.done = false // a notified handler did not run or failed
				return
			}
		}
	})
	for _, name := range br.Hosts {
		hs := r.hosts[name]
		if hs.done && !hs.failed && !hs.unreachable && r.opts.Hooks.OnHostDone != nil {
			r.opts.Hooks.OnHostDone(play, name)
		}
		if hs.failed && !slices.Contains(br.Failed, name) {
			br.Failed = append(br.Failed, name)
		}
		if hs.unreachable && !slices.Contains(br.Unreachable, name) {
			br.Unreachable = append(br.Unreachable, name)
		}
	}
	return abort.isSet()
}

// parallel runs fn for each host, at most Forks at once.
func (r *run) parallel(hosts []string, fn func(hs *hostState)) {
	var wg sync.WaitGroup
	for _, name := range hosts {
		hs := r.hosts[name]
		if hs.unreachable {
			continue
		}
		wg.Add(1)
		r.forks <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-r.forks }()
			start := time.Now()
			fn(hs)
			r.mu.Lock()
			hs.busy += time.Since(start)
			r.mu.Unlock()
		}()
	}
	wg.Wait()
}

// connect opens the host's connection once for the whole run.
func (r *run) connect(ctx context.Context, hs *hostState, play *playbooks.Play, br *BatchResult) bool {
	if hs.conn != nil {
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	start := time.Now()
	conn, err := r.opts.Dial(r.taskCtx, hs.host)
	if err == nil {
		hs.conn = conn
		return true
	}
	tr := &TaskResult{Play: play.Name, Task: "connect", Module: "connect", Host: hs.host.Name,
		Status: "unreachable", Msg: err.Error(), Duration: Seconds(time.Since(start)), err: err}
	r.markUnreachable(hs, err)
	r.record(br, tr)
	return false
}

func (r *run) markUnreachable(hs *hostState, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	hs.unreachable = true
	hs.summary.Unreachable++
	hs.summary.Status = "unreachable"
	hs.summary.Error = err.Error()
	var auth *transport.AuthError
	if errors.As(err, &auth) {
		hs.summary.AuthError = true
	}
}

func (r *run) record(br *BatchResult, tr *TaskResult) {
	r.mu.Lock()
	br.Tasks = append(br.Tasks, tr)
	r.mu.Unlock()
	r.obs.TaskDone(tr)
}

func (r *run) selectedByTags(t *playbooks.Task) bool {
	if len(r.opts.Tags) > 0 && !overlaps(t.Tags, r.opts.Tags) && !slices.Contains(t.Tags, "always") {
		return false
	}
	if len(r.opts.SkipTags) > 0 && overlaps(t.Tags, r.opts.SkipTags) {
		return false
	}
	return true
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

type abortFlag struct {
	mu sync.Mutex
	on bool
}

func (a *abortFlag) set()        { a.mu.Lock(); a.on = true; a.mu.Unlock() }
func (a *abortFlag) isSet() bool { a.mu.Lock(); defer a.mu.Unlock(); return a.on }

// hostState is one host across the run.
type hostState struct {
	host        *inventory.Host
	conn        transport.Conn
	base        map[string]any // inventory vars with overrides
	vars        map[string]any // current play's vars
	secrets     []string
	derived     []string // values derived from secrets by templates (tmpl.Taint)
	registered  map[string]any
	notified    map[string]bool
	done        bool // finished the current batch's tasks and handlers
	failed      bool
	unreachable bool
	busy        time.Duration
	summary     *HostSummary
}

type nopObserver struct{}

func (nopObserver) PlayStart(*playbooks.Play, []string)            {}
func (nopObserver) BatchStart(*playbooks.Play, int, int, []string) {}
func (nopObserver) TaskDone(*TaskResult)                           {}
func (nopObserver) BatchDone(*playbooks.Play, *BatchResult)        {}
func (nopObserver) RunDone(*Result)                                {}
