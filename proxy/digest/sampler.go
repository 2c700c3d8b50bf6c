package digest

import (
	"math"
	"sync/atomic"
)

// Sampler picks a fraction of async reads for comparison
// (async_read_compare_sample_rate). It is deterministic and lock-free: a
// 32.32 fixed-point accumulator advanced by the rate on every call; a call
// is sampled when the integer part moves, so exactly rate*N of N calls are.
type Sampler struct {
	step uint64
	acc  atomic.Uint64
}

// NewSampler returns a sampler for rate, clamped to [0, 1].
func NewSampler(rate float64) *Sampler {
	switch {
	case math.IsNaN(rate) || rate <= 0:
		return &Sampler{}
	case rate >= 1:
		return &Sampler{step: 1 << 32}
	}
	return &Sampler{step: uint64(rate * (1 << 32))}
}

// Sample reports whether this call is in the sample.
func (s *Sampler) Sample() bool {
	if s.step == 0 {
		return false
	}
	n := s.acc.Add(s.step)
	return n>>32 != (n-s.step)>>32
}
