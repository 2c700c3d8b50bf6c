package memreturn

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"
)

func TestPolicy(t *testing.T) {
	p := DefaultPolicy
	now := time.Now()
	long := now.Add(-time.Hour)
	cases := []struct {
		name string
		h    Heap
		last time.Time
		want bool
	}{
		{"small process", Heap{Retained: 30 << 20, Live: 1 << 20, LastGC: now}, long, false},
		{"big and live", Heap{Retained: 300 << 20, Live: 250 << 20, LastGC: now}, long, false},
		{"big, mostly free", Heap{Retained: 300 << 20, Live: 40 << 20, LastGC: now}, long, true},
		{"big, mostly free, just returned", Heap{Retained: 300 << 20, Live: 40 << 20, LastGC: now}, now.Add(-time.Second), false},
		{"big, no GC for a minute", Heap{Retained: 300 << 20, Live: 250 << 20, LastGC: now.Add(-time.Minute)}, long, true},
	}
	for _, c := range cases {
		if got := p.ShouldFree(c.h, now, c.last); got != c.want {
			t.Errorf("%s: ShouldFree = %v, want %v", c.name, got, c.want)
		}
	}
}

var sink [][]byte

// After a 128 MiB burst is dropped, the loop gives the memory back.
func TestLoopReturnsMemoryAfterBurst(t *testing.T) {
	for i := 0; i < 128; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1 // touch every page: resident
		}
		sink = append(sink, b)
	}
	sink = nil
	runtime.GC() // the runtime now knows it is free, but keeps it mapped for a while
	before := Read()
	if before.Retained < 100<<20 {
		t.Skipf("runtime already returned the burst (%d MiB retained)", before.Retained>>20)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go loop(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), Policy{MinSpike: 64 << 20, MinGap: time.Hour, StaleGC: time.Hour}, 10*time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if h := Read(); h.Retained < before.Retained/2 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("retained %d MiB, before %d MiB: not returned", Read().Retained>>20, before.Retained>>20)
}
