package latency

import (
	"sync"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	r := NewRecorder(100)
	// 1..100 µs in scrambled order.
	for i := 0; i < 100; i++ {
		r.Record(time.Duration((i*37)%100+1) * time.Microsecond)
	}
	s := r.Summary()
	cases := []struct {
		p    float64
		want time.Duration
	}{
		{50, 50 * time.Microsecond},
		{99, 99 * time.Microsecond},
		{99.9, 100 * time.Microsecond},
		{100, 100 * time.Microsecond},
		{0.5, 1 * time.Microsecond},
	}
	for _, c := range cases {
		if got := s.Percentile(c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if s.Max() != 100*time.Microsecond || s.Len() != 100 {
		t.Errorf("max %v len %d", s.Max(), s.Len())
	}
}

func TestPercentileSmallSets(t *testing.T) {
	if got := NewRecorder(4).Summary().Percentile(50); got != 0 {
		t.Errorf("empty p50 = %v", got)
	}
	r := NewRecorder(4)
	r.Record(7)
	r.Record(3)
	s := r.Summary()
	if s.Percentile(50) != 3 || s.Percentile(51) != 7 || s.Percentile(99) != 7 {
		t.Errorf("two samples: p50 %v p51 %v p99 %v", s.Percentile(50), s.Percentile(51), s.Percentile(99))
	}
}

func TestRecorderOverflowAndConcurrency(t *testing.T) {
	r := NewRecorder(1000)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				r.Record(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if r.Count() != 1600 || r.Dropped() != 600 {
		t.Fatalf("count %d dropped %d, want 1600 and 600", r.Count(), r.Dropped())
	}
	s := r.Summary()
	if s.Len() != 1000 || s.Percentile(50) != time.Millisecond {
		t.Fatalf("len %d p50 %v", s.Len(), s.Percentile(50))
	}
}

func TestMergeKeepsOrderAndAllSamples(t *testing.T) {
	a, b := NewRecorder(10), NewRecorder(10)
	for _, v := range []int{5, 1, 9} {
		a.Record(time.Duration(v))
	}
	for _, v := range []int{2, 8, 3, 7} {
		b.Record(time.Duration(v))
	}
	m := a.Summary().Merge(b.Summary())
	if m.Len() != 7 || m.Percentile(50) != 5 || m.Max() != 9 || m.Percentile(1) != 1 {
		t.Fatalf("merged: len %d p50 %v max %v min %v", m.Len(), m.Percentile(50), m.Max(), m.Percentile(1))
	}
	if e := (Summary{}).Merge(a.Summary()); e.Len() != 3 || e.Percentile(100) != 9 {
		t.Fatalf("empty merge: %d %v", e.Len(), e.Percentile(100))
	}
}
