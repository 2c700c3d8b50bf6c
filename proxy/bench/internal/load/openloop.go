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
	inflight := make(chan struct{}, max(c.MaxInFlight, 1))

	var (
		wg       sync.WaitGroup
		ops      atomic.Int64
		errs     atomic.Int64
		errOnce  sync.Once
		firstErr error
		began    bool
		ended    bool
	)
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
			inflight <- struct{}{}
			wg.Add(1)
			go func(i int64, intended time.Time) {
				defer wg.Done()
				err := op(ctx, i)
				done := time.Now()
				<-inflight
				if done.Before(winStart) || !done.Before(winEnd) {
					return
				}
				if err != nil {
					errs.Add(1)
					errOnce.Do(func() { firstErr = err })
					return
				}
				ops.Add(1)
				if !intended.Before(winStart) {
					rec.Record(done.Sub(intended))
				}
			}(i, intended)
		}
		if !ended {
			w.End()
		}
	}()
	<-paced
	wg.Wait()
	return Result{
		Ops: ops.Load(), Errors: errs.Load(), Elapsed: c.Measure,
		Latencies: rec.Summary(), FirstErr: firstErr,
	}
}
