// Package memreturn gives memory back to the operating system after a
// burst. Go's own scavenger returns freed heap pages gradually, and only
// after a garbage collection has found them free; a proxy that served a
// burst (thousands of connections, a slow reader, a huge query) and then
// went quiet can sit on hundreds of MB for minutes. A background loop
// watches the heap through runtime/metrics (no stop-the-world) and, when
// the memory it holds is both large and mostly not live, calls
// debug.FreeOSMemory, at most once per MinGap. Nothing runs on the data
// path.
package memreturn

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Heap is one reading of the runtime's memory.
type Heap struct {
	Retained uint64    // mapped from the OS and not released (all classes)
	Live     uint64    // live heap as of the last GC
	LastGC   time.Time // end of the last GC (zero if none)
}

// Policy decides when to give memory back.
type Policy struct {
	MinSpike uint64        // retained must exceed this (default 64 MiB)
	MinGap   time.Duration // between two returns (default 30 s)
	StaleGC  time.Duration // Live is not trusted when the last GC is older (default 30 s)
}

// DefaultPolicy is what Start uses.
var DefaultPolicy = Policy{MinSpike: 64 << 20, MinGap: 30 * time.Second, StaleGC: 30 * time.Second}

// ShouldFree reports whether to call debug.FreeOSMemory now, given the last
// return at lastFree. Memory is returned when the process holds more than
// MinSpike and either less than half of it was live at the last GC, or no
// GC ran for StaleGC (a quiet process after a burst: its garbage has not
// even been collected).
func (p Policy) ShouldFree(h Heap, now, lastFree time.Time) bool {
	if h.Retained < p.MinSpike || now.Sub(lastFree) < p.MinGap {
		return false
	}
	return h.Retained >= 2*h.Live || now.Sub(h.LastGC) >= p.StaleGC
}

var samples = []metrics.Sample{
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
	{Name: "/gc/heap/live:bytes"},
}

// Read samples the runtime's memory without stopping the world.
func Read() Heap {
	s := make([]metrics.Sample, len(samples))
	copy(s, samples)
	metrics.Read(s)
	v := func(i int) uint64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s[i].Value.Uint64()
	}
	h := Heap{Live: v(2)}
	if t, r := v(0), v(1); t > r {
		h.Retained = t - r
	}
	var st debug.GCStats
	debug.ReadGCStats(&st)
	h.LastGC = st.LastGC
	return h
}

// Start checks every second until ctx ends, returning memory per
// DefaultPolicy; each return is logged at DEBUG with the sizes.
func Start(ctx context.Context, log *slog.Logger) {
	go loop(ctx, log, DefaultPolicy, time.Second)
}

func loop(ctx context.Context, log *slog.Logger, p Policy, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			h := Read()
			if !p.ShouldFree(h, now, last) {
				continue
			}
			debug.FreeOSMemory()
			last = time.Now()
			after := Read()
			log.Debug("returned memory to the OS", "retained_before", h.Retained, "retained_after", after.Retained,
				"live", after.Live, "took", last.Sub(now).String())
		}
	}
}
