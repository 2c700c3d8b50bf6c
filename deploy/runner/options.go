// Package runner runs a playbook against an inventory: hosts in parallel up
// to Forks, plays batch by batch (serial), one connection per host reused
// for every task, handlers at the end of each batch, max_fail_percentage and
// any_errors_fatal stops, and hooks between batches for the commands built
// on it (health gates, resume journals, rollbacks).
//
// Phases (k0sctl style): Prepare (select hosts, compute vars and secrets),
// Run (batches), CleanUp (close connections). Check mode is the dry run:
// every module predicts instead of acting.
package runner

import (
	"context"
	"io"

	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/playbooks"
)

// Exit codes of zdmctl, derived from a Result by ExitCode.
const (
	ExitOK          = 0   // every host ok
	ExitFailed      = 1   // a task failed, a host was unreachable or the rollout stopped
	ExitUsage       = 2   // usage or config error (bad flag, inventory, playbook)
	ExitAuth        = 4   // SSH authentication or host-key verification failed
	ExitInterrupted = 130 // interrupted (Ctrl-C)
)

// Inventory is what the runner needs from an inventory;
// *inventory.Inventory implements it.
type Inventory interface {
	Select(pattern string) ([]*inventory.Host, error)
	EffectiveVars(host string, overrides map[string]any) (map[string]any, error)
	IsSecretKey(key string) bool
}

// DialFunc opens a host's connection.
type DialFunc func(ctx context.Context, h *inventory.Host) (transport.Conn, error)

// DialWith adapts transport.Dial with fixed options.
func DialWith(opts transport.DialOptions) DialFunc {
	return func(ctx context.Context, h *inventory.Host) (transport.Conn, error) {
		return transport.Dial(ctx, h, opts)
	}
}

// RunOptions configure one run.
type RunOptions struct {
	Inventory Inventory
	Playbook  *playbooks.Playbook
	// Vars override every other var (--set).
	Vars map[string]any
	// Limit further restricts every play's hosts (a host pattern).
	Limit string
	// Tags / SkipTags select tasks by tag (handlers always run when
	// notified).
	Tags, SkipTags []string
	Check          bool // predict, change nothing
	Diff           bool // report file diffs
	Forks          int  // hosts worked on at once; default 10
	Dial           DialFunc
	// Observer receives progress events; nil for none.
	Observer Observer
	Hooks    Hooks
	// TaskContext is the context running tasks get. Cancelling the context
	// passed to Run stops new tasks from starting but lets running ones
	// finish; cancelling TaskContext aborts those too. Nil: never aborted.
	TaskContext context.Context
	// ReadFile, when set, reads the controller-side files tasks refer to
	// (copy/template src) instead of Playbook.ReadFile; a command can serve
	// embedded artifacts (the zdm-proxy binary) this way and fall back to
	// Playbook.ReadFile for the rest.
	ReadFile func(path string) ([]byte, error)
	// Log receives debug lines (nil: discarded).
	Log io.Writer
}

// Hooks are the extension points for commands built on the runner.
type Hooks struct {
	// SkipHost returns true to leave host out of play (e.g. a resume
	// journal says it is done). Skipped hosts are not counted in batches.
	SkipHost func(play *playbooks.Play, host string) bool
	// BeforeBatch runs before a batch starts; an error stops the rollout.
	BeforeBatch func(ctx context.Context, b *Batch) error
	// AfterBatch runs after a batch finished without exceeding its failure
	// budget (a health gate); an error stops the rollout.
	AfterBatch func(ctx context.Context, b *Batch) error
	// OnHostDone is called when a host finished a play's tasks and
	// handlers without failure (a journal for --resume).
	OnHostDone func(play *playbooks.Play, host string)
	// OnHostFailed is called in the host's goroutine, with its connection,
	// when a task fails on it (a rollback hook). Not called for
	// unreachable hosts.
	OnHostFailed func(ctx context.Context, f *HostFailure)
}

// Batch is what batch hooks see.
type Batch struct {
	Play   *playbooks.Play
	Index  int // 1-based
	Of     int
	Hosts  []string
	Result *BatchResult
	run    *run
}

// Conn returns host's open connection (nil when it never connected).
func (b *Batch) Conn(host string) transport.Conn {
	if hs := b.run.hosts[host]; hs != nil {
		return hs.conn
	}
	return nil
}

// Vars returns host's vars as the tasks saw them (registered results
// included).
func (b *Batch) Vars(host string) map[string]any {
	if hs := b.run.hosts[host]; hs != nil {
		return hs.vars
	}
	return nil
}

// HostFailure describes a failed task on a host.
type HostFailure struct {
	Play   *playbooks.Play
	Task   *playbooks.Task
	Host   string
	Result *TaskResult
	Conn   transport.Conn
	Vars   map[string]any
}

// Observer receives progress events. Calls come from several goroutines.
type Observer interface {
	PlayStart(play *playbooks.Play, hosts []string)
	BatchStart(play *playbooks.Play, index, of int, hosts []string)
	TaskDone(r *TaskResult)
	BatchDone(play *playbooks.Play, b *BatchResult)
	RunDone(r *Result)
}
