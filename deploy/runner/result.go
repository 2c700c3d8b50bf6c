package runner

import (
	"errors"
	"time"
)

// Result is a finished run, ready for a recap or JSON.
type Result struct {
	Playbook    string         `json:"playbook"`
	Check       bool           `json:"check"`
	Started     time.Time      `json:"started"`
	Duration    Seconds        `json:"duration_s"`
	Plays       []*PlayResult  `json:"plays"`
	Hosts       []*HostSummary `json:"hosts"`
	Stopped     string         `json:"stopped,omitempty"` // why the rollout stopped early
	Interrupted bool           `json:"interrupted"`

	registered map[string]map[string]any
}

// Seconds marshals a duration as seconds.
type Seconds time.Duration

func (s Seconds) MarshalJSON() ([]byte, error) {
	return []byte(formatFloat(time.Duration(s).Seconds())), nil
}

// PlayResult is one play's batches.
type PlayResult struct {
	Name    string         `json:"name"`
	Hosts   []string       `json:"hosts"`
	Batches []*BatchResult `json:"batches"`
}

// BatchResult is one batch's outcome and task results.
type BatchResult struct {
	Index       int           `json:"index"`
	Of          int           `json:"of"`
	Hosts       []string      `json:"hosts"`
	Failed      []string      `json:"failed,omitempty"`
	Unreachable []string      `json:"unreachable,omitempty"`
	Stopped     string        `json:"stopped,omitempty"`
	Tasks       []*TaskResult `json:"tasks"`
}

// TaskResult is one task on one host.
type TaskResult struct {
	Play     string  `json:"play"`
	Task     string  `json:"task"`
	Where    string  `json:"where"`
	Module   string  `json:"module"`
	Host     string  `json:"host"`
	Status   string  `json:"status"` // ok, changed, failed, skipped, unreachable, ignored
	Handler  bool    `json:"handler,omitempty"`
	Msg      string  `json:"msg,omitempty"`
	Rc       *int    `json:"rc,omitempty"`
	Stdout   string  `json:"stdout,omitempty"`
	Stderr   string  `json:"stderr,omitempty"`
	Diff     string  `json:"diff,omitempty"`
	Attempts int     `json:"attempts,omitempty"`
	Duration Seconds `json:"duration_s"`
	err      error
}

// Err is the underlying error of a failed or unreachable task.
func (t *TaskResult) Err() error { return t.err }

// HostSummary is one host's recap line.
type HostSummary struct {
	Host        string  `json:"host"`
	OK          int     `json:"ok"`
	Changed     int     `json:"changed"`
	Failed      int     `json:"failed"`
	Unreachable int     `json:"unreachable"`
	Skipped     int     `json:"skipped"`
	Ignored     int     `json:"ignored"`
	Duration    Seconds `json:"duration_s"`
	// Status: ok, failed, unreachable, or not_run (never reached a task,
	// e.g. a later batch after the rollout stopped).
	Status    string `json:"status"`
	Error     string `json:"error,omitempty"`
	AuthError bool   `json:"auth_error,omitempty"`
}

// Registered returns the value a task registered on host.
func (r *Result) Registered(host, name string) (map[string]any, bool) {
	v, ok := r.registered[host][name]
	if !ok {
		return nil, false
	}
	m, ok := v.(map[string]any)
	return m, ok
}

// Host returns host's summary.
func (r *Result) Host(name string) *HostSummary {
	for _, h := range r.Hosts {
		if h.Host == name {
			return h
		}
	}
	return nil
}

// Failed reports whether any host failed or was unreachable, or the
// rollout stopped.
func (r *Result) Failed() bool {
	if r.Stopped != "" {
		return true
	}
	for _, h := range r.Hosts {
		if h.Status == "failed" || h.Status == "unreachable" {
			return true
		}
	}
	return false
}

// ExitCode maps the result to zdmctl's exit codes: interrupted beats an
// authentication failure, which beats any other failure.
func (r *Result) ExitCode() int {
	if r.Interrupted {
		return ExitInterrupted
	}
	for _, h := range r.Hosts {
		if h.AuthError {
			return ExitAuth
		}
	}
	if r.Failed() {
		return ExitFailed
	}
	return ExitOK
}

// ErrStopped is returned (wrapped) by Run when the rollout stopped early.
var ErrStopped = errors.New("rollout stopped")
