package load

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zdmctl/zdmctl/proxy/bench/internal/latency"
)

// OpenLoop issues operations at a fixed rate whatever the latency, the way
// independent users would. Each latency is measured from the operation's
// intended send time, not from when it was actually sent, so a stalled
// system is charged for the requests it delayed (no coordinated omission).
type OpenLoop struct {
	Rate        int           // operations per second
	Warmup      time.Duration // unmeasured lead-in
	Measure     time.Duration // measured window
	MaxInFlight int           // bound on outstanding operations; the pacer waits, latency keeps counting
}

type job struct {
	i        int64
	intended time.Time
}

// tail keeps load on after the window so its last operations see the same
// conditions as the rest.
const tail = 200 * time.Millisecond

// Run drives op and reports what happened inside the measured window.
func (c OpenLoop) Run(ctx context.Context, op Op, w Window) Result {
	interval := time.Second / time.Duration(c.Rate)
	total := int64((c.Warmup + c.Measure + tail) / interval)
	start := time.Now().Add(time.Millisecond)
	winStart := start.Add(c.Warmup)
	winEnd := winStart.Add(c.Measure)
	rec := latency.NewRecorder(int(c.Measure/interval) + 1024)
	lag := latency.NewRecorder(int(c.Measure/interval) + 1024)
	limit := max(c.MaxInFlight, 1)

	var (
		wg       sync.WaitGroup
		ops      atomic.Int64
		errs     atomic.Int64
		errOnce  sync.Once
		firstErr error
		began    bool
		ended    bool
		workers  int
		jobs     = make(chan job)
	)
	// Workers are reused rather than one goroutine per operation: the
	// driver's deep call stacks made goroutine creation and stack growth a
	// visible share of the client's CPU. The pool grows to limit on demand;
	// beyond it the pacer waits, and waiting is charged to latency.
	worker := func() {
		defer wg.Done()
		for j := range jobs {
			err := op(ctx, j.i)
			done := time.Now()
			if done.Before(winStart) || !done.Before(winEnd) {
				continue
			}
			if err != nil {
				errs.Add(1)
				errOnce.Do(func() { firstErr = err })
				continue
			}
			ops.Add(1)
			if !j.intended.Before(winStart) {
				rec.Record(done.Sub(j.intended))
			}
		}
	}
	// The pacer runs on its own locked OS thread so it can sleep precisely.
	paced := make(chan struct{})
	go func() {
		defer close(paced)
		lockPacerThread()
		for i := int64(0); i < total && ctx.Err() == nil; i++ {
			intended := start.Add(time.Duration(i) * interval)
			sleepUntil(intended)
			if !began && !intended.Before(winStart) {
				w.Begin()
				began = true
			}
			if !ended && !intended.Before(winEnd) {
				w.End()
				ended = true
			}
			j := job{i: i, intended: intended}
			select {
			case jobs <- j: // an idle worker took it
			default:
				if workers < limit {
					workers++
					wg.Add(1)
					go worker()
				}
				jobs <- j
			}
			if !intended.Before(winStart) && intended.Before(winEnd) {
				lag.Record(time.Since(intended))
			}
		}
		if !ended {
			w.End()
		}
		close(jobs)
	}()
	<-paced
	wg.Wait()
	return Result{
		Ops: ops.Load(), Errors: errs.Load(), Elapsed: c.Measure,
		Latencies: rec.Summary(), PacerLag: lag.Summary(), FirstErr: firstErr,
	}
}
