package metrics

import (
	"time"

	"github.com/datastax/go-cassandra-native-protocol/primitive"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// RequestType is the "type" label of the proxy-level request metrics.
type RequestType int

// Proxy-level request types (label values reads_origin, reads_target, writes).
const (
	ReadsOrigin RequestType = iota
	ReadsTarget
	Writes
	numRequestTypes
)

var requestTypeNames = [numRequestTypes]string{"reads_origin", "reads_target", "writes"}

// String returns the label value.
func (t RequestType) String() string { return requestTypeNames[t] }

// Options tune New. Empty bucket slices mean DefaultLatencyBuckets.
type Options struct {
	// Prefix of every metric name; "zdm" when empty.
	Prefix string
	// Histogram buckets in seconds for zdm_proxy_request_duration_seconds
	// and the per-cluster zdm_<cluster>_request_duration_seconds.
	ProxyBuckets, OriginBuckets, TargetBuckets, AsyncBuckets []float64
	// NoRuntimeCollectors leaves out the Go runtime and process collectors
	// (handy in tests that count series).
	NoRuntimeCollectors bool
}

// Metrics is the set of proxy metrics. Gauge and counter fields are safe to
// use directly from any goroutine.
type Metrics struct {
	reg    *prometheus.Registry
	prefix string
	// secFail is zdm_secondary_write_failures_total (journal.go).
	secFail *prometheus.CounterVec
	// secDown is zdm_secondary_disconnected_connections by cluster
	// (origin, target): journal.go.
	secDown [2]prometheus.Gauge

	duration    [numRequestTypes]prometheus.Observer
	inflight    [numRequestTypes]prometheus.Gauge
	failedReads [numClusters]prometheus.Counter // Async unused
	failedWrite [3]prometheus.Counter           // origin, target, both
	clusters    [numClusters]*ClusterMetrics
	mismatch    *prometheus.CounterVec

	// ClientConnections is zdm_client_connections_total.
	ClientConnections prometheus.Gauge
	// PSCacheEntries is zdm_pscache_entries_total.
	PSCacheEntries prometheus.Gauge
	// PSCacheMiss is zdm_pscache_miss_total.
	PSCacheMiss prometheus.Counter
	// AsyncReadCompared is zdm_async_read_compared_total: async reads whose
	// result was compared with the primary's.
	AsyncReadCompared prometheus.Counter
	// AsyncDropped is zdm_async_dropped_total: async requests dropped because
	// the bounded async queue was full.
	AsyncDropped prometheus.Counter
	// Admission: the handshake budget (admission.go).
	Admission *Admission
}

// New builds the metrics and registers them on a fresh registry.
func New(o Options) *Metrics {
	p := o.Prefix
	if p == "" {
		p = "zdm"
	}
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg, prefix: p}
	m.secFail = newSecondaryFailures(reg, p)
	m.secDown = newSecondaryDisconnected(reg, p)

	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    p + "_proxy_request_duration_seconds",
		Help:    "Latency of client requests as seen by the proxy, by type.",
		Buckets: bucketsOr(o.ProxyBuckets),
	}, []string{"type"})
	inflight := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: p + "_proxy_inflight_requests_total",
		Help: "Client requests in flight, by type.",
	}, []string{"type"})
	for t := RequestType(0); t < numRequestTypes; t++ {
		m.duration[t] = dur.WithLabelValues(t.String())
		m.inflight[t] = inflight.WithLabelValues(t.String())
	}

	failedReads := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: p + "_proxy_failed_reads_total",
		Help: "Client reads that failed, by the cluster they were sent to.",
	}, []string{"cluster"})
	m.failedReads[Origin] = failedReads.WithLabelValues("origin")
	m.failedReads[Target] = failedReads.WithLabelValues("target")

	failedWrites := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: p + "_proxy_failed_writes_total",
		Help: "Client writes that failed, by the cluster(s) that failed them.",
	}, []string{"failed_on"})
	for i, v := range []string{"origin", "target", "both"} {
		m.failedWrite[i] = failedWrites.WithLabelValues(v)
	}

	m.ClientConnections = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: p + "_client_connections_total",
		Help: "Open client connections.",
	})
	m.PSCacheEntries = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: p + "_pscache_entries_total",
		Help: "Entries in the prepared statement cache.",
	})
	m.PSCacheMiss = prometheus.NewCounter(prometheus.CounterOpts{
		Name: p + "_pscache_miss_total",
		Help: "EXECUTEs whose prepared statement was not in the cache.",
	})
	m.mismatch = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: p + "_async_read_mismatch_total",
		Help: "Async reads whose rows differ from the primary's, by table.",
	}, []string{"keyspace", "table"})
	m.AsyncReadCompared = prometheus.NewCounter(prometheus.CounterOpts{
		Name: p + "_async_read_compared_total",
		Help: "Async reads whose rows were compared with the primary's.",
	})
	m.AsyncDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: p + "_async_dropped_total",
		Help: "Async requests dropped because the async queue was full.",
	})

	reg.MustRegister(dur, inflight, failedReads, failedWrites,
		m.ClientConnections, m.PSCacheEntries, m.PSCacheMiss,
		m.mismatch, m.AsyncReadCompared, m.AsyncDropped)

	m.Admission = newAdmission(reg, p)

	buckets := [numClusters][]float64{o.OriginBuckets, o.TargetBuckets, o.AsyncBuckets}
	for c := Cluster(0); c < numClusters; c++ {
		m.clusters[c] = newClusterMetrics(reg, p, c, bucketsOr(buckets[c]))
	}
	if !o.NoRuntimeCollectors {
		reg.MustRegister(collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Registry is the registry holding every metric; serve it with
// promhttp.HandlerFor (admin does).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveWrite records the latency of one client write.
func (m *Metrics) ObserveWrite(d time.Duration) { m.duration[Writes].Observe(d.Seconds()) }

// ObserveRead records the latency of one client read served by primary
// (Origin or Target).
func (m *Metrics) ObserveRead(primary Cluster, d time.Duration) {
	m.duration[readType(primary)].Observe(d.Seconds())
}

// Observe records the latency of one client request of type t.
func (m *Metrics) Observe(t RequestType, d time.Duration) { m.duration[t].Observe(d.Seconds()) }

// InflightInc counts one more client request of type t in flight.
func (m *Metrics) InflightInc(t RequestType) { m.inflight[t].Inc() }

// InflightDec counts one client request of type t as finished.
func (m *Metrics) InflightDec(t RequestType) { m.inflight[t].Dec() }

// FailedRead counts a client read that failed on cluster c (Origin or Target).
func (m *Metrics) FailedRead(c Cluster) {
	if c == Target {
		m.failedReads[Target].Inc()
		return
	}
	m.failedReads[Origin].Inc()
}

// FailedWrite counts a client write that failed on origin, target or both.
// It does nothing when neither failed.
func (m *Metrics) FailedWrite(origin, target bool) {
	switch {
	case origin && target:
		m.failedWrite[2].Inc()
	case origin:
		m.failedWrite[0].Inc()
	case target:
		m.failedWrite[1].Inc()
	}
}

// Cluster returns the per-cluster metrics of c.
func (m *Metrics) Cluster(c Cluster) *ClusterMetrics { return m.clusters[c] }

// ErrorCode counts a CQL ERROR returned by cluster c.
func (m *Metrics) ErrorCode(c Cluster, code primitive.ErrorCode) { m.clusters[c].Failed(code) }

// AsyncReadMismatch counts one async read whose rows differ from the
// primary's. Rare, so the label lookup here is acceptable.
func (m *Metrics) AsyncReadMismatch(keyspace, table string) {
	m.mismatch.WithLabelValues(keyspace, table).Inc()
}

func readType(primary Cluster) RequestType {
	if primary == Target {
		return ReadsTarget
	}
	return ReadsOrigin
}
