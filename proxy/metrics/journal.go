package metrics

import "github.com/prometheus/client_golang/prometheus"

// Secondary write failure reasons (label reason).
var secondaryFailureReasons = []string{"timeout", "unavailable", "overloaded", "error", "budget"}

func newSecondaryFailures(reg *prometheus.Registry, p string) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: p + "_secondary_write_failures_total",
		Help: "Background writes to the secondary (write_mode DUAL_ASYNC_ON_SECONDARY) that failed, timed out or did not fit the budget, by the cluster that missed them, table and reason (timeout, unavailable, overloaded, error, budget). Each is journaled.",
	}, []string{"cluster", "keyspace", "table", "reason"})
	reg.MustRegister(v)
	return v
}

func newSecondaryDisconnected(reg *prometheus.Registry, p string) [2]prometheus.Gauge {
	v := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: p + "_secondary_disconnected_connections",
		Help: "Client connections running without their connection to the secondary (write_mode DUAL_ASYNC_ON_SECONDARY), reconnecting to it in the background; their writes to it are journaled (reason unavailable). By the secondary cluster.",
	}, []string{"cluster"})
	reg.MustRegister(v)
	return [2]prometheus.Gauge{v.WithLabelValues(Origin.String()), v.WithLabelValues(Target.String())}
}

// SetSecondaryDisconnected sets zdm_secondary_disconnected_connections:
// n client connections run without their connection to secondary c (the
// other cluster's series is set to 0).
func (m *Metrics) SetSecondaryDisconnected(c Cluster, n int64) {
	for i, g := range m.secDown {
		if Cluster(i) == c {
			g.Set(float64(n))
		} else {
			g.Set(0)
		}
	}
}

// SecondaryWriteFailure counts one missed secondary write. reason outside
// the fixed set is counted as "error".
func (m *Metrics) SecondaryWriteFailure(c Cluster, keyspace, table, reason string) {
	ok := false
	for _, r := range secondaryFailureReasons {
		ok = ok || r == reason
	}
	if !ok {
		reason = "error"
	}
	m.secFail.WithLabelValues(c.String(), keyspace, table, reason).Inc()
}

// JournalValues are the journal of missed writes' numbers at one scrape.
type JournalValues struct {
	Pending, NeedsRepair, Bytes, Dropped, CorruptSegments int64
}

// RegisterJournal adds the journal gauges, read from stats at each scrape:
// zdm_journal_pending_records, zdm_journal_needs_repair_records,
// zdm_journal_bytes, zdm_journal_dropped_records_total and
// zdm_journal_corrupt_segments.
func (m *Metrics) RegisterJournal(stats func() JournalValues) {
	p := m.prefix
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: p + "_journal_pending_records",
			Help: "Journaled writes a cluster missed, not yet replayed (zdmctl reconcile --apply)."},
			func() float64 { return float64(stats().Pending) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: p + "_journal_needs_repair_records",
			Help: "Journaled missed writes that cannot be replayed safely (counters, LWT, non-deterministic functions): their tables need a repair or a copy."},
			func() float64 { return float64(stats().NeedsRepair) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: p + "_journal_bytes",
			Help: "Bytes of journal segment files on disk (bounded by journal_max_bytes)."},
			func() float64 { return float64(stats().Bytes) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: p + "_journal_dropped_records_total",
			Help: "Missed writes the journal could not keep (full at journal_max_bytes, or a disk error): their tables need a full copy."},
			func() float64 { return float64(stats().Dropped) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: p + "_journal_corrupt_segments",
			Help: "Journal segments found with a corrupt record at startup (their good records are kept)."},
			func() float64 { return float64(stats().CorruptSegments) }),
	)
}
