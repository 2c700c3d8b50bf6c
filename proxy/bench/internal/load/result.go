package load

import (
	"time"

	"github.com/zdmctl/zdmctl/proxy/bench/internal/latency"
)

// Window is notified when the measured part of a run begins and ends, so the
// caller can sample counters (such as a process's CPU time) over exactly it.
type Window interface {
	Begin()
	End()
}

// NoWindow ignores the measured window.
type NoWindow struct{}

func (NoWindow) Begin() {}
func (NoWindow) End()   {}

// Result is what one run measured.
type Result struct {
	Ops       int64         // operations completed inside the measured window
	Errors    int64         // operations that failed inside the measured window
	Elapsed   time.Duration // length of the measured window
	Latencies latency.Summary
	// PacerLag is, for open-loop runs, how late each in-window operation was
	// handed to a worker after its intended time; it is part of Latencies.
	PacerLag latency.Summary
	FirstErr error
}

// Throughput is completed operations per second over the window.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Elapsed.Seconds()
}

// Merge adds another run's result to r, as if both windows were one.
func (r Result) Merge(o Result) Result {
	out := Result{
		Ops: r.Ops + o.Ops, Errors: r.Errors + o.Errors, Elapsed: r.Elapsed + o.Elapsed,
		Latencies: r.Latencies.Merge(o.Latencies), PacerLag: r.PacerLag.Merge(o.PacerLag), FirstErr: r.FirstErr,
	}
	if out.FirstErr == nil {
		out.FirstErr = o.FirstErr
	}
	return out
}
