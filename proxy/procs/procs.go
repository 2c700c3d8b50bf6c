// Package procs sizes the Go runtime's processor count (GOMAXPROCS) to the
// proxy's CPU use.
//
// The proxy's work per request is short and mostly in the kernel. With
// several runtime processors, every wake-up can start another thread that
// spins, finds nothing and sleeps again, and requests hop between threads.
// On a small or shared host one processor does the same work with fewer of
// those hand-offs (measured in proxy/OPERATIONS.md, "CPU on small hosts").
// A busy proxy needs more, so the controller starts at one, adds
// processors as soon as the proxy uses most of the ones it has (all of the
// runtime's default at once when it uses nearly all), and gives one back
// only after a sustained quiet period.
package procs

import (
	"context"
	"log/slog"
	"math"
	"os"
	"runtime"
	"syscall"
	"time"
)

const (
	// upAt: add a processor when one interval used this share of them.
	upAt = 0.7
	// fullAt: at this share the proxy may need far more than it has (CPU use
	// cannot show beyond the processors it has): go straight to Max, so a
	// burst after a quiet spell waits at most one interval.
	fullAt = 0.9
	// downAt: remove one when this share of one fewer would have sufficed ...
	downAt = 0.35
	// quietIntervals: ... for this many intervals in a row.
	quietIntervals = 10
)

// Controller adjusts GOMAXPROCS between 1 and Max.
type Controller struct {
	Max      int                  // ceiling (the runtime's default GOMAXPROCS)
	Interval time.Duration        // sampling period
	CPU      func() time.Duration // CPU time used by the process so far
	Set      func(n int)          // applies a processor count
	Log      *slog.Logger

	cur   int
	quiet int
}

// Start runs a controller for this process until ctx ends, unless the
// operator set GOMAXPROCS (their choice stands) or there is only one CPU.
// It reports whether it runs.
func Start(ctx context.Context, log *slog.Logger) bool {
	if os.Getenv("GOMAXPROCS") != "" {
		return false
	}
	c := &Controller{Max: runtime.GOMAXPROCS(0), Interval: time.Second, CPU: processCPU,
		Set: func(n int) { runtime.GOMAXPROCS(n) }, Log: log}
	if c.Max <= 1 {
		return false
	}
	go c.Run(ctx)
	return true
}

// Run sets one processor, then samples CPU use every Interval and adjusts.
func (c *Controller) Run(ctx context.Context) {
	c.cur = 1
	c.Set(1)
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	last, lastAt := c.CPU(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			cpu := c.CPU()
			used := float64(cpu-last) / float64(now.Sub(lastAt))
			last, lastAt = cpu, now
			if n := c.Next(used); n != c.cur {
				if c.Log != nil {
					c.Log.Debug("runtime processors adjusted", "from", c.cur, "to", n, "cpu_used", math.Round(used*100)/100)
				}
				c.cur = n
				c.Set(n)
			}
		}
	}
}

// Next is the processor count after an interval in which the process used
// `used` CPUs (1.0 = one CPU busy the whole interval).
func (c *Controller) Next(used float64) int {
	if c.cur < 1 {
		c.cur = 1
	}
	switch {
	case c.cur < c.Max && used >= fullAt*float64(c.cur):
		c.quiet = 0
		return c.Max
	case c.cur < c.Max && used >= upAt*float64(c.cur):
		c.quiet = 0
		// Jump to what this load needs at once rather than one per interval.
		want := int(math.Ceil(used / upAt))
		return min(c.Max, max(c.cur+1, want))
	case c.cur > 1 && used < downAt*float64(c.cur-1):
		c.quiet++
		if c.quiet >= quietIntervals {
			c.quiet = 0
			return c.cur - 1
		}
	default:
		c.quiet = 0
	}
	return c.cur
}

// processCPU is the user plus system CPU time of this process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
