package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/datastax/go-cassandra-native-protocol/primitive"
	dto "github.com/prometheus/client_model/go"
)

// find returns the gathered metric with that name and exactly those labels.
func find(t *testing.T, m *Metrics, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, met := range mf.GetMetric() {
			if len(met.GetLabel()) != len(labels) {
				continue
			}
			for _, lp := range met.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue next
				}
			}
			return met
		}
	}
	t.Fatalf("metric %s%v not found", name, labels)
	return nil
}

func TestNamesAndLabels(t *testing.T) {
	m := New(Options{})
	m.ObserveWrite(3 * time.Millisecond)
	m.ObserveRead(Origin, time.Millisecond)
	m.ObserveRead(Target, time.Millisecond)
	m.ObserveRead(Target, time.Millisecond)
	m.FailedRead(Target)
	m.FailedWrite(true, true)
	m.FailedWrite(true, false)
	m.FailedWrite(false, false)
	m.InflightInc(Writes)
	m.InflightInc(Writes)
	m.InflightDec(Writes)
	m.ClientConnections.Inc()
	m.Cluster(Async).Connections.Add(3)
	m.Cluster(Origin).ObserveRequest(KindWrite, time.Millisecond)
	m.ErrorCode(Target, primitive.ErrorCodeWriteTimeout)
	m.ErrorCode(Target, primitive.ErrorCodeSyntaxError)
	m.Cluster(Async).FailedWith(ErrClientTimeout)
	m.PSCacheEntries.Set(7)
	m.PSCacheMiss.Inc()
	m.AsyncReadMismatch("ks", "t1")
	m.AsyncReadCompared.Inc()
	m.AsyncDropped.Inc()

	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"zdm_proxy_failed_reads_total", map[string]string{"cluster": "target"}, 1},
		{"zdm_proxy_failed_reads_total", map[string]string{"cluster": "origin"}, 0},
		{"zdm_proxy_failed_writes_total", map[string]string{"failed_on": "both"}, 1},
		{"zdm_proxy_failed_writes_total", map[string]string{"failed_on": "origin"}, 1},
		{"zdm_proxy_failed_writes_total", map[string]string{"failed_on": "target"}, 0},
		{"zdm_proxy_inflight_requests_total", map[string]string{"type": "writes"}, 1},
		{"zdm_client_connections_total", nil, 1},
		{"zdm_async_connections_total", nil, 3},
		{"zdm_target_requests_failed_total", map[string]string{"error": "write_timeout"}, 1},
		{"zdm_target_requests_failed_total", map[string]string{"error": "other"}, 1},
		{"zdm_async_requests_failed_total", map[string]string{"error": "client_timeout"}, 1},
		{"zdm_origin_requests_failed_total", map[string]string{"error": "read_timeout"}, 0},
		{"zdm_pscache_entries_total", nil, 7},
		{"zdm_pscache_miss_total", nil, 1},
		{"zdm_async_read_mismatch_total", map[string]string{"keyspace": "ks", "table": "t1"}, 1},
		{"zdm_async_read_compared_total", nil, 1},
		{"zdm_async_dropped_total", nil, 1},
	}
	for _, c := range checks {
		met := find(t, m, c.name, c.labels)
		var got float64
		switch {
		case met.Counter != nil:
			got = met.Counter.GetValue()
		case met.Gauge != nil:
			got = met.Gauge.GetValue()
		}
		if got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	h := find(t, m, "zdm_proxy_request_duration_seconds", map[string]string{"type": "reads_target"}).GetHistogram()
	if h.GetSampleCount() != 2 {
		t.Errorf("reads_target count = %d, want 2", h.GetSampleCount())
	}
	h = find(t, m, "zdm_proxy_request_duration_seconds", map[string]string{"type": "writes"}).GetHistogram()
	if h.GetSampleCount() != 1 || h.GetSampleSum() != 0.003 {
		t.Errorf("writes count/sum = %d/%v, want 1/0.003", h.GetSampleCount(), h.GetSampleSum())
	}
	h = find(t, m, "zdm_origin_request_duration_seconds", map[string]string{"type": "writes"}).GetHistogram()
	if h.GetSampleCount() != 1 {
		t.Errorf("origin writes count = %d, want 1", h.GetSampleCount())
	}
}

func TestRuntimeCollectors(t *testing.T) {
	mfs, err := New(Options{}).Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var goRt, proc bool
	for _, mf := range mfs {
		goRt = goRt || strings.HasPrefix(mf.GetName(), "go_goroutines")
		proc = proc || strings.HasPrefix(mf.GetName(), "process_")
	}
	if !goRt || !proc {
		t.Errorf("go collector %v, process collector %v; want both", goRt, proc)
	}
}

func TestCustomBucketsAndPrefix(t *testing.T) {
	m := New(Options{Prefix: "x", ProxyBuckets: BucketsFromMillis([]float64{5, 50}), NoRuntimeCollectors: true})
	m.ObserveWrite(10 * time.Millisecond)
	h := find(t, m, "x_proxy_request_duration_seconds", map[string]string{"type": "writes"}).GetHistogram()
	b := h.GetBucket()
	if len(b) != 2 || b[0].GetUpperBound() != 0.005 || b[1].GetUpperBound() != 0.05 {
		t.Fatalf("buckets = %v", b)
	}
	if b[0].GetCumulativeCount() != 0 || b[1].GetCumulativeCount() != 1 {
		t.Errorf("bucket counts = %d,%d; want 0,1", b[0].GetCumulativeCount(), b[1].GetCumulativeCount())
	}
	// Default buckets on the cluster histograms.
	m.Cluster(Target).ObserveRequest(KindRead, time.Millisecond)
	h = find(t, m, "x_target_request_duration_seconds", map[string]string{"type": "reads"}).GetHistogram()
	if len(h.GetBucket()) != len(DefaultLatencyBuckets) {
		t.Errorf("target buckets = %d, want default %d", len(h.GetBucket()), len(DefaultLatencyBuckets))
	}
}

func TestErrorLabelOf(t *testing.T) {
	cases := map[primitive.ErrorCode]string{
		primitive.ErrorCodeReadTimeout:  "read_timeout",
		primitive.ErrorCodeWriteTimeout: "write_timeout",
		primitive.ErrorCodeUnavailable:  "unavailable",
		primitive.ErrorCodeOverloaded:   "overloaded",
		primitive.ErrorCodeReadFailure:  "read_failure",
		primitive.ErrorCodeWriteFailure: "write_failure",
		primitive.ErrorCodeUnprepared:   "unprepared",
		primitive.ErrorCodeServerError:  "other",
		primitive.ErrorCodeInvalid:      "other",
	}
	for code, want := range cases {
		if got := ErrorLabelOf(code).String(); got != want {
			t.Errorf("ErrorLabelOf(%v) = %q, want %q", code, got, want)
		}
	}
}

func TestHotPathDoesNotAllocate(t *testing.T) {
	m := New(Options{NoRuntimeCollectors: true})
	allocs := testing.AllocsPerRun(1000, func() {
		m.InflightInc(Writes)
		m.ObserveWrite(time.Millisecond)
		m.ObserveRead(Target, time.Millisecond)
		m.FailedWrite(true, false)
		m.FailedRead(Origin)
		m.Cluster(Origin).ObserveRequest(KindWrite, time.Millisecond)
		m.ErrorCode(Target, primitive.ErrorCodeOverloaded)
		m.InflightDec(Writes)
	})
	if allocs != 0 {
		t.Errorf("hot path allocates %v times per call, want 0", allocs)
	}
}
