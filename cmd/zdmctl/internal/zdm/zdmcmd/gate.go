package zdmcmd

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/playbooks"
)

// Gate defaults, used when neither a flag nor the inventory's `rollout:`
// section sets them (documented in the README, "Rollout gates").
const (
	// DefaultHealthyFor is the stability window, counted from the
	// process start: with the readiness wait inside it, a restarted proxy
	// is watched ready for most of it. Crash loops before readiness fail
	// the readiness gate; this catches a process that dies right after.
	DefaultHealthyFor       = 1 * time.Second
	DefaultPause            = 0
	DefaultReadyTimeout     = 120 * time.Second
	DefaultReconnectTimeout = 60 * time.Second
)

// gateTask names the playbook task that waits for the clients to come
// back: its failure stops the rollout but is no reason to roll back (the
// proxy is ready; the clients are elsewhere).
const gateClientsTask = "clients back"

// gatedPlaybooks are the rollouts whose hosts are gated (and probed first).
var gatedPlaybooks = map[string]bool{"zdm-deploy": true, "zdm-restart": true}

// resolve fills the gate from the inventory's `rollout:` section where no
// flag was given, then the defaults.
func (g Gate) resolve(inv any) Gate {
	var ro inventory.Rollout
	if ri, ok := inv.(interface{ RolloutSettings() inventory.Rollout }); ok {
		ro = ri.RolloutSettings()
	}
	changed := func(name string) bool { return g.flags != nil && g.flags.Changed(name) }
	pick := func(flag string, cur time.Duration, inv *time.Duration) time.Duration {
		if !changed(flag) && inv != nil {
			return *inv
		}
		return cur
	}
	g.HealthyFor = pick("healthy-for", g.HealthyFor, ro.HealthyFor)
	g.Pause = pick("pause", g.Pause, ro.Pause)
	g.ReadyTimeout = pick("ready-timeout", g.ReadyTimeout, ro.Timeout)
	g.ReconnectTimeout = DefaultReconnectTimeout
	if ro.ReconnectTimeout != nil {
		g.ReconnectTimeout = *ro.ReconnectTimeout
	}
	g.Reconnect = inventory.ReconnectBefore
	if ro.Reconnect != "" {
		g.Reconnect = ro.Reconnect
	}
	g.ParallelFirst = ro.ParallelFirstDeploy == nil || *ro.ParallelFirstDeploy
	g.MaxUnavailable = inventory.Share{N: 1}
	if ro.MaxUnavailable != nil {
		g.MaxUnavailable = *ro.MaxUnavailable
	}
	return g
}

// gateState is what the rollout learnt of the proxies before touching them.
type gateState struct {
	// clients: host -> 1 when it had client connections before (its gate
	// waits until one is back), 0 when it had none.
	clients map[string]any
	// total is the fleet's client connections before the rollout: after
	// each gated host, the rollout waits until the fleet has them back.
	total     int64
	foundDown []string        // "host (why)"
	ready     map[string]bool // running and ready before the rollout
	parallel  bool            // first deploy: no proxy of the fleet runs
}

// probeBefore reads every proxy of the fleet (in parallel, one Exec each)
// before the rollout touches them: the client count each proxy has (the
// reconnection rule waits for it after a change), proxies found stopped
// or not ready (reported loudly, never started silently), and whether
// none runs yet (a first deploy may then go in parallel).
func (r *Rollout) probeBefore(ctx context.Context, g Gate) *gateState {
	e := r.Env
	st := &gateState{clients: map[string]any{}, ready: map[string]bool{}}
	all := e.Fleet.Proxies
	sts := make([]zdm.HostStatus, len(all))
	e.Each(ctx, all, func(i int, h *inventory.Host, conn transport.Conn, err error) {
		if err != nil {
			sts[i] = zdm.HostStatus{Host: h.Name, Error: err.Error()}
			return
		}
		sts[i] = zdm.ProbeAPI(ctx, conn, e.AdminPort(h.Name), e.APIPort(h.Name), e.Fleet.Configs[h.Name].SHA256())
	})
	running := 0
	for _, s := range sts {
		if s.Reachable && s.Service == "active" {
			running++
		}
		if !Contains(e.Targets, s.Host) {
			continue
		}
		n := 0
		if g.Reconnect == inventory.ReconnectBefore && s.ClientConnections > 0 {
			n = 1
		}
		st.clients[s.Host] = n
		st.ready[s.Host] = s.Reachable && s.Service == "active" && s.Ready
		if s.Reachable && s.Installed && (s.Service != "active" || !s.Ready) {
			why := "service " + orDash(s.Service)
			if s.Service == "active" {
				why = "not ready: " + s.NotReadyReason
			}
			st.foundDown = append(st.foundDown, fmt.Sprintf("%s (%s)", s.Host, why))
		}
	}
	for _, s := range sts {
		if !s.Reachable {
			running = -1 // cannot tell: not a first deploy
		}
		st.total += s.ClientConnections
	}
	if g.Reconnect != inventory.ReconnectBefore {
		st.total = 0
	}
	st.parallel = g.ParallelFirst && running == 0 && r.Playbook == "zdm-deploy" && !r.Resume
	return st
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// foundDownNote is the loud line for the progress and the recap.
func foundDownNote(hosts []string) string {
	return "WARNING: found down before the rollout: " + strings.Join(hosts, ", ")
}

// parallelPlaybook returns pb with its serial plays in one batch of every
// host (a first deploy: no proxy serves clients, nothing can drop).
func parallelPlaybook(pb *playbooks.Playbook) *playbooks.Playbook {
	return reserial(pb, func(p *playbooks.Play) bool { return len(p.Serial) > 0 }, playbooks.SerialStep{N: 100, Percent: true})
}

// batchedPlaybook returns pb with its one-at-a-time plays in batches of
// share (rollout.max_unavailable): a large fleet with spare capacity
// restarts several proxies at once, each batch gated as one host is.
func batchedPlaybook(pb *playbooks.Playbook, share inventory.Share) *playbooks.Playbook {
	serialOne := func(p *playbooks.Play) bool {
		return len(p.Serial) == 1 && p.Serial[0] == (playbooks.SerialStep{N: 1})
	}
	return reserial(pb, serialOne, playbooks.SerialStep{N: share.N, Percent: share.Percent})
}

// reserial returns a copy of pb whose plays matching match run in batches
// of step; pb and its plays are not changed.
func reserial(pb *playbooks.Playbook, match func(*playbooks.Play) bool, step playbooks.SerialStep) *playbooks.Playbook {
	out := *pb
	out.Plays = nil
	for _, p := range pb.Plays {
		if match(p) {
			cp := *p
			cp.Serial = []playbooks.SerialStep{step}
			p = &cp
		}
		out.Plays = append(out.Plays, p)
	}
	return &out
}

// batchGated reports whether any host of the batch went through the gate
// (its registered "gated" result was not skipped): an unchanged, ready
// host costs no pause.
func batchGated(b *runner.Batch) bool {
	for _, h := range b.Hosts {
		v, _ := b.Vars(h)["gated"].(map[string]any)
		if v == nil {
			continue
		}
		if skipped, _ := v["skipped"].(bool); !skipped {
			return true
		}
	}
	return false
}

// gateVars are the playbook vars of the gate.
func gateVars(g Gate, st *gateState) map[string]any {
	return map[string]any{
		"zdm_healthy_for":       fmt.Sprintf("%gs", g.HealthyFor.Seconds()),
		"zdm_ready_timeout":     fmt.Sprintf("%gs", g.ReadyTimeout.Seconds()),
		"zdm_healthy_for_ms":    g.HealthyFor.Milliseconds(),
		"zdm_ready_timeout_ms":  g.ReadyTimeout.Milliseconds(),
		"zdm_reconnect_timeout": int(g.ReconnectTimeout.Seconds()),
		"zdm_clients_before":    st.clients,
	}
}

// notesOf gathers the recap notes of a chain of rollouts.
func notesOf(chain []*Rollout) []string {
	var out []string
	for _, r := range chain {
		out = append(out, r.notes...)
	}
	return out
}

// skipUnchanged predicts, in check mode and on every host at once (quiet),
// what the rollout's host-by-host plays would change, and leaves out of
// them the hosts where nothing would change and whose proxy was ready: a
// no-op deploy touches, restarts, reloads and waits on nothing, and costs
// one parallel pass instead of one pass per host.
func (r *Rollout) skipUnchanged(runCtx, taskCtx context.Context, hooks *runner.Hooks, pb *playbooks.Playbook, vars map[string]any, limit string, readFile func(string) ([]byte, error), gst *gateState) {
	f := r.Env.F
	s := f.Settings
	var serial []*playbooks.Play
	for _, p := range parallelPlaybook(pb).Plays {
		if len(p.Serial) > 0 {
			serial = append(serial, p)
		}
	}
	if len(serial) == 0 {
		return
	}
	check := *pb
	check.Plays = serial
	res, err := runner.Run(runCtx, runner.RunOptions{
		Inventory:   r.Env.Inv,
		Playbook:    &check,
		Vars:        vars,
		Limit:       limit,
		SkipTags:    r.SkipTags,
		Check:       true,
		Forks:       s.Forks,
		Dial:        r.Env.Dial,
		TaskContext: taskCtx,
		ReadFile:    readFile,
	})
	if res == nil || err != nil {
		return // the real run reports whatever went wrong
	}
	noop := map[string]bool{}
	var names []string
	for _, h := range res.Hosts {
		if h.Status == "ok" && h.Changed == 0 && h.Failed == 0 && h.Unreachable == 0 && gst.ready[h.Host] {
			noop[h.Host] = true
			names = append(names, h.Host)
		}
	}
	if len(noop) == 0 {
		return
	}
	prev := hooks.SkipHost
	hooks.SkipHost = func(play *playbooks.Play, host string) bool {
		if len(play.Serial) > 0 && noop[host] {
			return true
		}
		return prev != nil && prev(play, host)
	}
	fmt.Fprintf(f.IO.ErrOut, "unchanged and ready, not touched: %s\n", strings.Join(names, ", "))
}

// waitFleetClients ends the gate of a changed host on evidence that the
// clients are back: the fleet's client connections are at least what they
// were before the rollout (a driver's pool is back on the restarted proxy;
// a control connection that moved to another proxy still counts), bounded
// by rollout.reconnect_timeout. The host's own task has already seen a
// client back on it, when it had any.
func (r *Rollout) waitFleetClients(ctx context.Context, g Gate, st *gateState) error {
	if st == nil || st.total <= 0 {
		return nil
	}
	e := r.Env
	start := time.Now()
	for {
		var mu sync.Mutex
		var now int64
		e.Each(ctx, e.Fleet.Proxies, func(_ int, h *inventory.Host, conn transport.Conn, err error) {
			if err != nil {
				return
			}
			n := zdm.ProbeAPI(ctx, conn, e.AdminPort(h.Name), e.APIPort(h.Name), "").ClientConnections
			mu.Lock()
			now += n
			mu.Unlock()
		})
		if now >= st.total {
			fmt.Fprintf(e.F.IO.ErrOut, "clients back: %d connections across the fleet (%d before the rollout), after %s\n", now, st.total, time.Since(start).Round(100*time.Millisecond))
			return nil
		}
		if time.Since(start) >= g.ReconnectTimeout {
			return fmt.Errorf("clients did not come back: %d client connections across the fleet, %d before the rollout, after %s (rollout.reconnect_timeout); the proxy is ready and was not rolled back: find where the clients went, then run again", now, st.total, g.ReconnectTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
