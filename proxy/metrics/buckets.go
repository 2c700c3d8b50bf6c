package metrics

// DefaultLatencyBuckets are the histogram buckets, in seconds, used when an
// option is left empty: 1 ms to 15 s, dense where CQL latencies usually sit.
var DefaultLatencyBuckets = []float64{
	0.001, 0.004, 0.007, 0.010, 0.025, 0.040, 0.060, 0.080, 0.100,
	0.150, 0.250, 0.500, 1, 2.5, 5, 10, 15,
}

// BucketsFromMillis converts buckets given in milliseconds (the unit of the
// metrics_*_latency_buckets_ms config keys) to seconds. Nil stays nil.
func BucketsFromMillis(ms []float64) []float64 {
	if ms == nil {
		return nil
	}
	out := make([]float64, len(ms))
	for i, v := range ms {
		out[i] = v / 1000
	}
	return out
}

func bucketsOr(b []float64) []float64 {
	if len(b) == 0 {
		return DefaultLatencyBuckets
	}
	return b
}
