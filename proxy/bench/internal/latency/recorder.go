// Package latency records operation latencies concurrently and summarises
// them as percentiles.
package latency

import (
	"slices"
	"sync/atomic"
	"time"
)

// Recorder stores up to a fixed number of samples from many goroutines
// without locking. Samples beyond its capacity are counted, not stored.
type Recorder struct {
	samples []int64
	next    atomic.Int64
}

// NewRecorder makes a recorder with room for capacity samples.
func NewRecorder(capacity int) *Recorder {
	return &Recorder{samples: make([]int64, capacity)}
}

// Record adds one sample. It is safe for concurrent use.
func (r *Recorder) Record(d time.Duration) {
	i := r.next.Add(1) - 1
	if i < int64(len(r.samples)) {
		r.samples[i] = int64(d)
	}
}

// Count is the number of samples recorded, stored or not.
func (r *Recorder) Count() int64 { return r.next.Load() }

// Dropped is the number of samples that did not fit.
func (r *Recorder) Dropped() int64 {
	return max(0, r.next.Load()-int64(len(r.samples)))
}

// Summary sorts the stored samples and summarises them. Call it once
// recording is over.
func (r *Recorder) Summary() Summary {
	n := min(r.next.Load(), int64(len(r.samples)))
	s := slices.Clone(r.samples[:n])
	slices.Sort(s)
	return Summary{sorted: s}
}

// Summary answers percentile questions about a sorted sample set.
type Summary struct {
	sorted []int64
}

// Len is the number of samples.
func (s Summary) Len() int { return len(s.sorted) }

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100): the
// smallest sample such that at least p percent of samples are <= it.
// It returns 0 for an empty set.
func (s Summary) Percentile(p float64) time.Duration {
	n := len(s.sorted)
	if n == 0 {
		return 0
	}
	rank := int(float64(n)*p/100 + 0.999999999)
	rank = min(max(rank, 1), n)
	return time.Duration(s.sorted[rank-1])
}

// Max is the largest sample, 0 for an empty set.
func (s Summary) Max() time.Duration {
	if len(s.sorted) == 0 {
		return 0
	}
	return time.Duration(s.sorted[len(s.sorted)-1])
}

// Merge combines two summaries into one holding both sample sets.
func (s Summary) Merge(o Summary) Summary {
	out := make([]int64, 0, len(s.sorted)+len(o.sorted))
	i, j := 0, 0
	for i < len(s.sorted) && j < len(o.sorted) {
		if s.sorted[i] <= o.sorted[j] {
			out = append(out, s.sorted[i])
			i++
		} else {
			out = append(out, o.sorted[j])
			j++
		}
	}
	out = append(out, s.sorted[i:]...)
	out = append(out, o.sorted[j:]...)
	return Summary{sorted: out}
}
