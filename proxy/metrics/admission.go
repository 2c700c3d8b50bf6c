package metrics

import "github.com/prometheus/client_golang/prometheus"

// Reasons a client connection is closed before it logged in, the "reason"
// label of zdm_proxy_client_connections_rejected_total.
const (
	RejectMaxClientConnections = "max_client_connections" // proxy_max_client_connections reached (at accept or login)
	RejectHandshakeEvicted     = "handshake_evicted"      // oldest handshake closed to admit a newer one
	RejectHandshakeTimeout     = "handshake_timeout"      // proxy_handshake_timeout_ms passed
)

// Admission are the metrics of the handshake budget. The proxy copies its
// counters into them at scrape time: nothing is recorded on the data path.
type Admission struct {
	// Handshaking is zdm_proxy_handshaking_connections: client connections
	// that have not finished the handshake.
	Handshaking prometheus.Gauge
	// ReadBuffer is zdm_proxy_read_buffer_bytes: bytes held for large
	// frames being read, bounded by proxy_max_read_buffer_bytes.
	ReadBuffer prometheus.Gauge
	// Rejected is zdm_proxy_client_connections_rejected_total{reason}.
	Rejected map[string]prometheus.Counter
}

func newAdmission(reg *prometheus.Registry, p string) *Admission {
	a := &Admission{
		Handshaking: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: p + "_proxy_handshaking_connections",
			Help: "Client connections that have not finished the handshake (capped by proxy_max_handshaking_connections).",
		}),
		ReadBuffer: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: p + "_proxy_read_buffer_bytes",
			Help: "Bytes held for large client frames being read (bounded by proxy_max_read_buffer_bytes).",
		}),
		Rejected: map[string]prometheus.Counter{},
	}
	rej := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: p + "_proxy_client_connections_rejected_total",
		Help: "Client connections closed before they logged in, by reason.",
	}, []string{"reason"})
	for _, r := range []string{RejectMaxClientConnections, RejectHandshakeEvicted, RejectHandshakeTimeout} {
		a.Rejected[r] = rej.WithLabelValues(r)
	}
	reg.MustRegister(a.Handshaking, a.ReadBuffer, rej)
	return a
}
