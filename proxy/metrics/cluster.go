package metrics

import (
	"time"

	"github.com/datastax/go-cassandra-native-protocol/primitive"
	"github.com/prometheus/client_golang/prometheus"
)

// Cluster names one of the backends the proxy talks to.
type Cluster int

// The clusters. Async is the secondary cluster when it is sent async reads.
const (
	Origin Cluster = iota
	Target
	Async
	numClusters
)

var clusterNames = [numClusters]string{"origin", "target", "async"}

// String returns "origin", "target" or "async".
func (c Cluster) String() string { return clusterNames[c] }

// Kind is the "type" label of zdm_<cluster>_request_duration_seconds.
type Kind int

// Request kinds sent to a cluster.
const (
	KindRead Kind = iota
	KindWrite
	KindOther
	numKinds
)

var kindNames = [numKinds]string{"reads", "writes", "other"}

// String returns the label value.
func (k Kind) String() string { return kindNames[k] }

// ClusterMetrics are the metrics of one cluster (zdm_origin_*, zdm_target_*,
// zdm_async_*).
type ClusterMetrics struct {
	duration [numKinds]prometheus.Observer
	failed   [numErrorLabels]prometheus.Counter
	// Connections is zdm_<cluster>_connections_total: open connections.
	Connections prometheus.Gauge
}

func newClusterMetrics(reg *prometheus.Registry, prefix string, c Cluster, buckets []float64) *ClusterMetrics {
	name := prefix + "_" + c.String()
	cm := &ClusterMetrics{}
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    name + "_request_duration_seconds",
		Help:    "Latency of requests sent to " + c.String() + ", by type.",
		Buckets: buckets,
	}, []string{"type"})
	for k := Kind(0); k < numKinds; k++ {
		cm.duration[k] = dur.WithLabelValues(k.String())
	}
	failed := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: name + "_requests_failed_total",
		Help: "Requests that " + c.String() + " answered with an error, by error.",
	}, []string{"error"})
	for e := ErrorLabel(0); e < numErrorLabels; e++ {
		cm.failed[e] = failed.WithLabelValues(e.String())
	}
	cm.Connections = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: name + "_connections_total",
		Help: "Open connections to " + c.String() + ".",
	})
	reg.MustRegister(dur, failed, cm.Connections)
	return cm
}

// ObserveRequest records the latency of one request of kind k.
func (cm *ClusterMetrics) ObserveRequest(k Kind, d time.Duration) {
	cm.duration[k].Observe(d.Seconds())
}

// Failed counts one CQL ERROR response with the given code.
func (cm *ClusterMetrics) Failed(code primitive.ErrorCode) { cm.failed[ErrorLabelOf(code)].Inc() }

// FailedWith counts one failure with an explicit label (e.g. ErrClientTimeout).
func (cm *ClusterMetrics) FailedWith(e ErrorLabel) {
	if e < 0 || e >= numErrorLabels {
		e = ErrOther
	}
	cm.failed[e].Inc()
}
