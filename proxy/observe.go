package proxy

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/proxy/classify"
	"github.com/zdmctl/zdmctl/proxy/digest"
	"github.com/zdmctl/zdmctl/proxy/frame"
	"github.com/zdmctl/zdmctl/proxy/metrics"
)

// Observer turns the data-path hooks into Prometheus metrics and, in
// DUAL_ASYNC_ON_SECONDARY, compares each async read's rows with the
// primary's. Every hook is lock-free except logging a mismatch.
type Observer struct {
	m   *metrics.Metrics // nil: no metrics
	log *slog.Logger
	cmp atomic.Pointer[compareSettings]
}

type compareSettings struct {
	sampler *digest.Sampler
	logger  *digest.MismatchLogger
}

// mismatchLogsPerMinute bounds the mismatch samples logged.
const mismatchLogsPerMinute = 10

// NewObserver records into m (nil: metrics off) and compares async reads at
// sampleRate (0..1), logging mismatches with bound values only if withValues.
func NewObserver(m *metrics.Metrics, log *slog.Logger, sampleRate float64, withValues bool) *Observer {
	o := &Observer{m: m, log: log}
	o.SetCompare(sampleRate, withValues)
	return o
}

// SetCompare changes the comparison sample rate and log_mismatch_values
// (config reload).
func (o *Observer) SetCompare(sampleRate float64, withValues bool) {
	o.cmp.Store(&compareSettings{sampler: digest.NewSampler(sampleRate),
		logger: digest.NewMismatchLogger(o.log, mismatchLogsPerMinute, withValues)})
}

// Hooks returns the proxy hooks feeding o.
func (o *Observer) Hooks() *Hooks {
	h := &Hooks{OnAsyncRead: o.onAsyncRead}
	if o.m != nil {
		h.OnRequest = o.onRequest
		h.OnClusterRequest = o.onClusterRequest
		h.OnInflight = o.onInflight
	}
	return h
}

func mc(c Cluster) metrics.Cluster {
	if c == Target {
		return metrics.Target
	}
	return metrics.Origin
}

func (o *Observer) onRequest(r RequestOutcome) {
	switch r.Opcode {
	case frame.OpQuery, frame.OpExecute, frame.OpBatch:
	default:
		return // handshake, PREPARE, REGISTER...: not client reads or writes
	}
	if len(r.Clusters) == 0 {
		return // answered by the proxy itself (system.local, system.peers)
	}
	if r.Kind.IsRead() && len(r.Clusters) == 1 {
		c := mc(r.Clusters[0])
		o.m.ObserveRead(c, r.Duration)
		if r.Err != nil {
			o.m.FailedRead(c)
		}
		return
	}
	o.m.ObserveWrite(r.Duration)
	if r.Err != nil {
		o.m.FailedWrite(r.ErrCluster == Origin, r.ErrCluster == Target)
	}
}

// inflightTypes maps InflightType to the metric's type label.
var inflightTypes = [...]metrics.RequestType{
	InflightReadsOrigin: metrics.ReadsOrigin,
	InflightReadsTarget: metrics.ReadsTarget,
	InflightWrites:      metrics.Writes,
}

func (o *Observer) onInflight(t InflightType, delta int) {
	if int(t) >= len(inflightTypes) {
		return
	}
	if delta > 0 {
		o.m.InflightInc(inflightTypes[t])
	} else {
		o.m.InflightDec(inflightTypes[t])
	}
}

func (o *Observer) onClusterRequest(c Cluster, kind classify.Kind, async bool, d time.Duration, code int32) {
	if async {
		return // recorded as zdm_async_* by onAsyncRead
	}
	cm := o.m.Cluster(mc(c))
	k := metrics.KindWrite
	switch {
	case kind.IsRead():
		k = metrics.KindRead
	case kind == classify.KindOther || kind == classify.KindUse:
		k = metrics.KindOther
	}
	cm.ObserveRequest(k, d)
	if code >= 0 {
		cm.Failed(primitive.ErrorCode(code))
	}
}

func (o *Observer) onAsyncRead(r AsyncReadResult) {
	if r.Dropped {
		if o.m != nil {
			o.m.AsyncDropped.Inc()
		}
		return
	}
	if o.m != nil {
		cm := o.m.Cluster(metrics.Async)
		cm.ObserveRequest(metrics.KindRead, r.Duration)
		if r.Err != nil {
			cm.FailedWith(metrics.ErrOther)
		}
	}
	if r.Err != nil || r.Primary == nil || r.SecondaryFrame == nil ||
		r.Primary.Opcode() != frame.OpResult || r.SecondaryFrame.Opcode() != frame.OpResult {
		return
	}
	cs := o.cmp.Load()
	if !cs.sampler.Sample() {
		return
	}
	pb, err1 := frame.ResponseMessage(r.Primary)
	sb, err2 := frame.ResponseMessage(r.SecondaryFrame)
	if err1 != nil || err2 != nil {
		return
	}
	res, err := digest.Compare(pb, sb, "", "")
	if err != nil {
		return // not ROWS (e.g. a SELECT answered with VOID): nothing to compare
	}
	if o.m != nil {
		o.m.AsyncReadCompared.Inc()
	}
	if res.Match {
		return
	}
	if o.m != nil {
		o.m.AsyncReadMismatch(res.Keyspace, res.Table)
	}
	cs.logger.Log(digest.Mismatch{Result: res, Statement: r.Statement, Values: r.Values})
}

// Gatherer wraps m's registry so each scrape first copies the server's
// counters (client and cluster connections, prepared cache size) into their
// gauges: nothing is recorded for them on the data path.
func (s *Server) Gatherer(m *metrics.Metrics) prometheus.Gatherer {
	var mu sync.Mutex
	var missSeen int64
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		mu.Lock()
		miss := s.psMiss.Load()
		m.PSCacheMiss.Add(float64(miss - missSeen))
		missSeen = miss
		mu.Unlock()
		s.gatherAdmission(m)
		st := s.Stats()
		m.ClientConnections.Set(float64(st.ClientConnections))
		m.PSCacheEntries.Set(float64(st.PreparedStatements))
		m.Cluster(metrics.Origin).Connections.Set(float64(st.Clusters[Origin].Connections))
		m.Cluster(metrics.Target).Connections.Set(float64(st.Clusters[Target].Connections))
		m.SetSecondaryDisconnected(mc(s.Settings().Primary.Other()), s.secondary.disconnected.Load())
		return m.Registry().Gather()
	})
}
