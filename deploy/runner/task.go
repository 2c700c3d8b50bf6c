package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zdmctl/zdmctl/deploy/modules"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/playbooks"
	"github.com/zdmctl/zdmctl/playbooks/tmpl"
)

// runTask runs one task on one host and records it. It returns false when
// the host must not go on (failed or unreachable).
func (r *run) runTask(ctx context.Context, hs *hostState, play *playbooks.Play, t *playbooks.Task, br *BatchResult, handler bool) bool {
	start := time.Now()
	tr := &TaskResult{Play: play.Name, Task: t.Name, Where: t.Where(), Module: t.Module, Host: hs.host.Name, Handler: handler}
	reg, res := r.execTask(ctx, hs, play, t, tr)
	tr.Duration = Seconds(time.Since(start))
	tr.Msg = modules.RedactText(res.Msg, hs.secrets)
	tr.Stdout = modules.RedactText(res.Stdout, hs.secrets)
	tr.Stderr = modules.RedactText(res.Stderr, hs.secrets)
	tr.Diff = modules.RedactText(res.Diff, hs.secrets) // headers name paths that may hold one
	if t.Secret {
		if tr.Stdout != "" {
			tr.Stdout = "(hidden: secret task)"
		}
		if tr.Stderr != "" {
			tr.Stderr = "(hidden: secret task)"
		}
	}
	tr.err = res.Err
	if t.Module == "command" || t.Module == "shell" || t.Module == "wait_for" {
		if !res.Skipped && res.Err == nil && res.Msg != "skipped: creates/removes condition met" {
			rc := res.Rc
			tr.Rc = &rc
		}
	}
	tr.Status = res.Status()
	unreachable := res.Failed && transport.IsUnreachable(res.Err)
	var auth *transport.AuthError
	if res.Failed && errors.As(res.Err, &auth) {
		unreachable = true
	}
	if unreachable {
		tr.Status = "unreachable"
	} else if res.Failed && t.IgnoreErrors {
		tr.Status = "ignored"
	}
	if facts, ok := res.Data["facts"].(map[string]any); ok && t.Module == "set_fact" && !res.Failed {
		for k, v := range facts {
			hs.registered[k] = v
			hs.vars[k] = v
		}
		hs.secrets = withDerived(secretValues(r.opts.Inventory, hs.vars), hs.derived)
	}
	if t.Register != "" && reg != nil {
		hs.registered[t.Register] = reg
		hs.vars[t.Register] = reg
	}
	r.count(hs, tr.Status)
	r.record(br, tr)
	switch tr.Status {
	case "unreachable":
		r.markUnreachable(hs, res.Err)
		return false
	case "failed":
		r.hostFailed(ctx, hs, play, t, br, tr)
		return false
	case "changed":
		for _, n := range t.Notify {
			hs.notified[n] = true
		}
	}
	return true
}

func (r *run) count(hs *hostState, status string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := hs.summary
	switch status {
	case "ok":
		s.OK++
	case "changed":
		s.Changed++
	case "skipped":
		s.Skipped++
	case "ignored":
		s.Ignored++
	case "failed":
		s.Failed++
	}
	if s.Status == "not_run" {
		s.Status = "ok"
	}
}

func (r *run) hostFailed(ctx context.Context, hs *hostState, play *playbooks.Play, t *playbooks.Task, br *BatchResult, tr *TaskResult) {
	r.mu.Lock()
	hs.failed = true
	hs.summary.Status = "failed"
	hs.summary.Error = fmt.Sprintf("%s: %s", tr.Task, tr.Msg)
	if t == nil {
		hs.summary.Failed++
	}
	r.mu.Unlock()
	if t == nil {
		r.record(br, tr)
	}
	if h := r.opts.Hooks.OnHostFailed; h != nil {
		h(r.taskCtx, &HostFailure{Play: play, Task: t, Host: hs.host.Name, Result: tr, Conn: hs.conn, Vars: hs.vars})
	}
}

// execTask evaluates when, renders args, runs the module with retries and
// applies changed_when / failed_when. It returns the registered value.
func (r *run) execTask(ctx context.Context, hs *hostState, play *playbooks.Play, t *playbooks.Task, tr *TaskResult) (map[string]any, modules.Result) {
	if t.LoopItems == nil && t.LoopExpr == nil {
		return r.execOnce(ctx, hs, play, t, tr, hs.vars)
	}
	items, err := loopItems(t, hs.vars)
	if err != nil {
		return nil, modules.Fail(fmt.Errorf("%s: loop: %w", t.Where(), err))
	}
	// Each item runs like its own task (when, retries, changed_when per
	// item); the task is changed if any item changed, failed if any failed.
	agg := modules.Result{Skipped: len(items) > 0}
	var results []any
	var msgs, outs, errs, diffs []string
	attempts := 0
	for i, item := range items {
		if i > 0 && ctx.Err() != nil {
			break
		}
		vars := make(map[string]any, len(hs.vars)+2)
		for k, v := range hs.vars {
			vars[k] = v
		}
		vars["item"] = item
		vars["loop_index"] = i
		one := &TaskResult{}
		reg, res := r.execOnce(ctx, hs, play, t, one, vars)
		attempts += one.Attempts
		if reg == nil {
			reg = registered(res, one.Attempts)
		}
		reg["item"] = item
		results = append(results, reg)
		agg.Changed = agg.Changed || res.Changed
		agg.Skipped = agg.Skipped && res.Skipped
		if res.Failed {
			agg.Failed = true
			if agg.Err == nil || transport.IsUnreachable(res.Err) {
				agg.Err = res.Err
			}
			msgs = append(msgs, fmt.Sprintf("item %d: %s", i, res.Msg))
		}
		if res.Stdout != "" {
			outs = append(outs, res.Stdout)
		}
		if res.Stderr != "" {
			errs = append(errs, res.Stderr)
		}
		if res.Diff != "" {
			diffs = append(diffs, res.Diff)
		}
		if transport.IsUnreachable(res.Err) {
			break
		}
	}
	agg.Msg = strings.Join(msgs, "; ")
	if !agg.Failed {
		agg.Msg = fmt.Sprintf("%d items", len(results))
	}
	agg.Stdout, agg.Stderr, agg.Diff = strings.Join(outs, "\n"), strings.Join(errs, "\n"), strings.Join(diffs, "")
	tr.Attempts = attempts
	reg := registered(agg, attempts)
	reg["results"] = results
	return reg, agg
}

// loopItems resolves a task's loop: a literal list (templates rendered)
// or an expression yielding a list.
func loopItems(t *playbooks.Task, vars map[string]any) ([]any, error) {
	if t.LoopExpr != nil {
		v, err := t.LoopExpr.Eval(vars)
		if err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case []any:
			return x, nil
		case []string:
			out := make([]any, len(x))
			for i, s := range x {
				out[i] = s
			}
			return out, nil
		case nil:
			return nil, nil
		}
		return nil, fmt.Errorf("%q is a %T, not a list", t.LoopExpr.String(), v)
	}
	v, err := tmpl.RenderValue(t.Name+" loop", t.LoopItems, vars)
	if err != nil {
		return nil, err
	}
	return v.([]any), nil
}

func (r *run) execOnce(ctx context.Context, hs *hostState, play *playbooks.Play, t *playbooks.Task, tr *TaskResult, vars map[string]any) (map[string]any, modules.Result) {
	for _, w := range t.When {
		ok, err := w.Bool(vars)
		if err != nil {
			return nil, modules.Fail(fmt.Errorf("%s: when: %w", t.Where(), err))
		}
		if !ok {
			res := modules.Result{Skipped: true, Msg: "condition false: " + w.String()}
			return registered(res, 0), res
		}
	}
	m, ok := modules.Lookup(t.Module)
	if !ok {
		return nil, modules.Failf("unknown module %s", t.Module)
	}
	taint := tmpl.NewTaint(hs.secrets)
	rendered, err := tmpl.RenderValueTainted(t.Name, map[string]any(t.Args), vars, taint)
	if d := taint.Derived(); len(d) > 0 {
		// A value derived from a secret (upper-cased, edited) is secret.
		hs.derived = append(hs.derived, d...)
		hs.secrets = withDerived(hs.secrets, d)
	}
	if err != nil {
		return nil, modules.Fail(fmt.Errorf("%s: %w", t.Where(), err))
	}
	env := &modules.Env{
		Conn:    hs.conn,
		Host:    hs.host,
		Vars:    vars,
		Check:   r.opts.Check,
		Diff:    r.opts.Diff,
		Secret:  t.Secret,
		Secrets: hs.secrets,
		Files:   r.opts.ReadFile,
	}
	env.Become, env.BecomeUser = become(hs, play, t)
	args := modules.Args(rendered.(map[string]any))
	var res modules.Result
	var reg map[string]any
	attempts := 0
	mctx := r.taskCtx
	if t.Timeout > 0 {
		var cancel context.CancelFunc
		mctx, cancel = context.WithTimeout(mctx, t.Timeout)
		defer cancel()
	}
	for {
		attempts++
		res = m.Run(mctx, env, args)
		if res.Failed && t.Timeout > 0 && errors.Is(mctx.Err(), context.DeadlineExceeded) {
			res.Msg = fmt.Sprintf("timed out after %s: %s", t.Timeout, res.Msg)
			break
		}
		reg = registered(res, attempts)
		if t.Until == nil || res.Skipped || transport.IsUnreachable(res.Err) {
			break
		}
		done, err := t.Until.Bool(withResult(vars, t.Register, reg))
		if err != nil {
			res = modules.Fail(fmt.Errorf("%s: until: %w", t.Where(), err))
			break
		}
		if done {
			res.Failed = false
			break
		}
		if attempts > t.Retries || ctx.Err() != nil {
			res.Failed = true
			if res.Msg == "" || !strings.Contains(res.Msg, "until") {
				res.Msg = strings.TrimSpace(fmt.Sprintf("until %q still false after %d attempts. %s", t.Until.String(), attempts, res.Msg))
			}
			break
		}
		select {
		case <-time.After(t.Delay):
		case <-ctx.Done():
		case <-mctx.Done():
		}
	}
	tr.Attempts = attempts
	if res.Skipped || transport.IsUnreachable(res.Err) {
		return reg, res
	}
	scope := withResult(vars, t.Register, reg)
	if t.ChangedWhen != nil {
		c, err := t.ChangedWhen.Bool(scope)
		if err != nil {
			res = modules.Fail(fmt.Errorf("%s: changed_when: %w", t.Where(), err))
			return registered(res, attempts), res
		}
		res.Changed = c
	}
	if t.FailedWhen != nil {
		f, err := t.FailedWhen.Bool(scope)
		if err != nil {
			res = modules.Fail(fmt.Errorf("%s: failed_when: %w", t.Where(), err))
			return registered(res, attempts), res
		}
		res.Failed = f
		if f && res.Msg == "" {
			res.Msg = "failed_when: " + t.FailedWhen.String()
		}
		if !f && res.Err != nil {
			res.Err = nil
		}
	}
	return registered(res, attempts), res
}

// withResult is vars plus the task's own result, under its register name
// and as `result`.
func withResult(vars map[string]any, name string, reg map[string]any) map[string]any {
	scope := make(map[string]any, len(vars)+2)
	for k, v := range vars {
		scope[k] = v
	}
	scope["result"] = reg
	if name != "" {
		scope[name] = reg
	}
	return scope
}

func become(hs *hostState, play *playbooks.Play, t *playbooks.Task) (bool, string) {
	b := hs.host.Become
	if play.Become != nil {
		b = *play.Become
	}
	if t.Become != nil {
		b = *t.Become
	}
	user := play.BecomeUser
	if t.BecomeUser != "" {
		user = t.BecomeUser
	}
	return b, user
}

// registered is the value `register` stores.
func registered(res modules.Result, attempts int) map[string]any {
	lines := []any{}
	if res.Stdout != "" {
		for _, l := range strings.Split(res.Stdout, "\n") {
			lines = append(lines, l)
		}
	}
	m := map[string]any{
		"changed":      res.Changed,
		"failed":       res.Failed,
		"skipped":      res.Skipped,
		"rc":           res.Rc,
		"stdout":       res.Stdout,
		"stderr":       res.Stderr,
		"stdout_lines": lines,
		"msg":          res.Msg,
		"attempts":     attempts,
	}
	for k, v := range res.Data {
		if _, taken := m[k]; !taken {
			m[k] = v
		}
	}
	return m
}
