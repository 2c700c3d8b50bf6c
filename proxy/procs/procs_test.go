package procs

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestNextAddsAtOnceAndRemovesAfterQuiet(t *testing.T) {
	c := &Controller{Max: 4, cur: 1}
	steps := []struct {
		used float64
		want int
	}{
		{0.3, 1},  // light load stays on one
		{0.69, 1}, // just under 70% of one
		{0.75, 2}, // most of one in use: add
		{1.5, 3},  // 1.5 CPUs on 2: what it needs (1.5/0.7 -> 3)
		{2.8, 4},  // nearly all of 3: straight to Max
		{5.0, 4},  // never past Max
	}
	for i, s := range steps {
		got := c.Next(s.used)
		c.cur = got
		if got != s.want {
			t.Fatalf("step %d: Next(%v) = %d, want %d", i, s.used, got, s.want)
		}
	}
	// Quiet: below 35% of one fewer (3 -> 1.05) for 10 intervals to drop one.
	for i := 1; i < quietIntervals; i++ {
		if got := c.Next(0.5); got != 4 {
			t.Fatalf("quiet interval %d: dropped to %d before %d quiet intervals", i, got, quietIntervals)
		}
	}
	if got := c.Next(0.5); got != 3 {
		t.Fatalf("after %d quiet intervals: %d, want 3", quietIntervals, got)
	}
	c.cur = 3
	// A busy interval resets the quiet count.
	for i := 0; i < quietIntervals-1; i++ {
		c.Next(0.2)
	}
	c.Next(1.5) // 1.5 on 3: neither up (2.1) nor down (0.7): resets
	for i := 1; i < quietIntervals; i++ {
		if got := c.Next(0.2); got != 3 {
			t.Fatalf("quiet count not reset by a busy interval: dropped at %d", i)
		}
	}
}

func TestNextNeverBelowOne(t *testing.T) {
	c := &Controller{Max: 2, cur: 1}
	for i := 0; i < 3*quietIntervals; i++ {
		if got := c.Next(0); got != 1 {
			t.Fatalf("idle: %d processors, want 1", got)
		}
	}
}

// recorder records the processor counts a Controller applies.
type recorder struct {
	mu  sync.Mutex
	set []int
}

func (r *recorder) Set(n int) { r.mu.Lock(); r.set = append(r.set, n); r.mu.Unlock() }

// waitFor1Then2 waits until the counts applied are 1 and then 2.
func (r *recorder) waitFor1Then2(t *testing.T, within time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		r.mu.Lock()
		got := append([]int(nil), r.set...)
		r.mu.Unlock()
		if len(got) >= 2 {
			if got[0] != 1 || got[1] != 2 {
				t.Fatalf("%s: processor counts applied %v, want 1 then 2", what, got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: processor counts applied %v after %v, want 1 then 2", what, got, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Run applies one processor first, then follows the measured CPU use.
func TestRunFollowsCPU(t *testing.T) {
	var mu sync.Mutex
	var cpu time.Duration
	rec := &recorder{}
	c := &Controller{Max: 2, Interval: 10 * time.Millisecond,
		CPU: func() time.Duration {
			mu.Lock()
			defer mu.Unlock()
			cpu += 9 * time.Millisecond // ~0.9 CPU per interval
			return cpu
		},
		Set: rec.Set}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	rec.waitFor1Then2(t, 5*time.Second, "0.9 CPU on one processor")
	cancel()
	<-done
}

func TestStartRespectsGOMAXPROCS(t *testing.T) {
	t.Setenv("GOMAXPROCS", "3")
	if Start(context.Background(), nil) {
		t.Fatal("controller started although the operator set GOMAXPROCS")
	}
}

func TestProcessCPUGrows(t *testing.T) {
	a := processCPU()
	end := time.Now().Add(30 * time.Millisecond)
	for x := 0; time.Now().Before(end); x++ {
		_ = x * x
	}
	if b := processCPU(); b <= a {
		t.Fatalf("process CPU did not grow while spinning: %v then %v", a, b)
	}
}

// A burst after a quiet spell saturates the one processor: the next
// interval gives it all of them, not one more per interval.
func TestNextSaturatedGoesToMax(t *testing.T) {
	c := &Controller{Max: 8, cur: 1}
	if got := c.Next(0.97); got != 8 {
		t.Fatalf("one processor saturated: Next = %d, want Max 8", got)
	}
}

// With the real CPU clock: goroutines that keep two threads busy make the
// controller ask for all processors (Set only records here, so the test
// process keeps its own GOMAXPROCS and the burners can show the demand).
func TestRunScalesUpOnRealCPUUse(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 || runtime.NumCPU() < 2 {
		t.Skip("needs 2 CPUs")
	}
	rec := &recorder{}
	c := &Controller{Max: 2, Interval: 100 * time.Millisecond, CPU: processCPU, Set: rec.Set}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var burners sync.WaitGroup
	for range 2 {
		burners.Add(1)
		go func() {
			defer burners.Done()
			for x := 0; ctx.Err() == nil; x++ {
				_ = x * x
			}
		}()
	}
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	rec.waitFor1Then2(t, 10*time.Second, "two busy threads")
	cancel()
	<-done
	burners.Wait()
}
