// Package playbooks is the playbook language: YAML plays of tasks, parsed
// from yaml.v3 nodes so every error names its file and line, and fully
// validated (keys, modules, module arguments, expressions, templates)
// before anything runs. Built-in playbooks are embedded; a directory on
// disk overrides them by name.
package playbooks

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/zdmctl/zdmctl/deploy/modules"
	"github.com/zdmctl/zdmctl/playbooks/expr"
)

// Playbook is a parsed, validated playbook.
type Playbook struct {
	Name        string // base name without extension
	Path        string // file it came from (builtin:NAME for embedded ones)
	Description string // first comment lines of the file
	Plays       []*Play
	// files holds the files relative paths (copy/template src) resolve in:
	// the playbook's directory, or the embedded tree.
	files fs.FS
	dir   string // set for playbooks on disk: relative paths may use ../
}

// ReadFile reads a file a task refers to: absolute paths from the local
// disk, relative ones next to the playbook.
func (p *Playbook) ReadFile(path string) ([]byte, error) {
	if filepath.IsAbs(path) {
		return os.ReadFile(path)
	}
	if p.dir != "" {
		return os.ReadFile(filepath.Join(p.dir, path))
	}
	if p.files == nil {
		return nil, fmt.Errorf("read %s: playbook has no base directory", path)
	}
	return fs.ReadFile(p.files, filepath.ToSlash(filepath.Clean(path)))
}

// Play runs tasks on the hosts matching Hosts, in batches of Serial.
type Play struct {
	Name   string
	Hosts  string
	Serial []SerialStep // empty: all hosts in one batch
	// MaxFailPercentage stops the rollout when a batch's failed share
	// exceeds it. -1 when unset: 0 with serial, no limit without.
	MaxFailPercentage float64
	AnyErrorsFatal    bool
	Vars              map[string]any
	Become            *bool
	BecomeUser        string
	Tasks             []*Task
	Handlers          []*Task
	Line              int
}

// SerialStep is one entry of `serial`: a count or a percentage of the
// play's hosts. The last step repeats.
type SerialStep struct {
	N       int
	Percent bool
}

func (s SerialStep) String() string {
	if s.Percent {
		return fmt.Sprintf("%d%%", s.N)
	}
	return fmt.Sprint(s.N)
}

// Task is one module invocation with its control keywords.
type Task struct {
	Name         string
	Module       string
	Args         modules.Args // unrendered; strings may hold templates
	When         []*expr.Expr // all must hold
	Register     string
	Notify       []string
	Tags         []string
	Retries      int
	Delay        time.Duration
	Until        *expr.Expr
	Become       *bool
	BecomeUser   string
	ChangedWhen  *expr.Expr
	FailedWhen   *expr.Expr
	IgnoreErrors bool
	Secret       bool
	RunOnce      bool
	// Timeout bounds the task's run (all retries); 0: none.
	Timeout time.Duration
	// LoopItems (a literal list, templates allowed) or LoopExpr (an
	// expression yielding a list) run the task once per item, as `item`.
	LoopItems []any
	LoopExpr  *expr.Expr
	File      string
	Line      int
}

// Where is "file:line" of the task.
func (t *Task) Where() string { return fmt.Sprintf("%s:%d", t.File, t.Line) }

// Error is a playbook error at a file and line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}
