package load

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zdmctl/zdmctl/proxy/bench/internal/latency"
)

// ClosedLoop keeps a fixed number of operations in flight: each worker sends
// its next operation as soon as the previous one completes. It measures the
// throughput a system sustains and the latency at that concurrency.
type ClosedLoop struct {
	Concurrency int
	Warmup      time.Duration
	Measure     time.Duration
	// Capacity bounds the latency samples kept (extra ones are counted only).
	Capacity int
}

// Run drives op and reports what completed inside the measured window.
func (c ClosedLoop) Run(ctx context.Context, op Op, w Window) Result {
	start := time.Now()
	winStart := start.Add(c.Warmup)
	winEnd := winStart.Add(c.Measure)
	rec := latency.NewRecorder(max(c.Capacity, 1024))

	var (
		wg       sync.WaitGroup
		stop     atomic.Bool
		seq      atomic.Int64
		ops      atomic.Int64
		errs     atomic.Int64
		errOnce  sync.Once
		firstErr error
	)
	for g := 0; g < c.Concurrency; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() && ctx.Err() == nil {
				t0 := time.Now()
				err := op(ctx, seq.Add(1))
				t1 := time.Now()
				if t1.Before(winStart) || !t1.Before(winEnd) {
					continue
				}
				if err != nil {
					errs.Add(1)
					errOnce.Do(func() { firstErr = err })
					continue
				}
				ops.Add(1)
				rec.Record(t1.Sub(t0))
			}
		}()
	}
	time.Sleep(time.Until(winStart))
	w.Begin()
	time.Sleep(time.Until(winEnd))
	w.End()
	stop.Store(true)
	wg.Wait()
	return Result{
		Ops: ops.Load(), Errors: errs.Load(), Elapsed: c.Measure,
		Latencies: rec.Summary(), FirstErr: firstErr,
	}
}
