package proxy

import (
	"time"

	"github.com/zdmctl/zdmctl/proxy/classify"
	"github.com/zdmctl/zdmctl/proxy/frame"
)

// RequestOutcome describes one client request once answered.
type RequestOutcome struct {
	Opcode   byte
	Kind     classify.Kind
	Clusters []Cluster // clusters the request was sent to (shared: read only)
	Duration time.Duration
	// Err is nil on success, else the error sent to the client (its
	// message); ErrCluster is which cluster's error it was (-1 for proxy).
	Err        error
	ErrCluster Cluster
}

// AsyncReadResult is the outcome of a read replayed on the secondary.
type AsyncReadResult struct {
	Kind      classify.Kind
	Secondary Cluster
	Duration  time.Duration
	// Primary and SecondaryFrame are the RESULT frames (nil if unavailable).
	Primary, SecondaryFrame frame.Frame
	Err                     error
	Dropped                 bool     // not sent: queue full or no stream id
	Statement               string   // CQL text (EXECUTE: the prepared statement's)
	Values                  [][]byte // bound values, only with SetLogMismatchValues(true)
}

// Hooks observe the data path. Every field may be nil; calls happen on the
// hot path and must be cheap and non-blocking.
type Hooks struct {
	OnRequest   func(RequestOutcome)
	OnAsyncRead func(AsyncReadResult)
	// OnClusterRequest is called per cluster response with its latency;
	// async is true for a read replayed on the secondary; errCode is the
	// CQL error code, -1 when the answer is not an ERROR or was lost.
	OnClusterRequest func(c Cluster, kind classify.Kind, async bool, d time.Duration, errCode int32)
	// OnInflight is called with +1 when a client read or write (QUERY,
	// EXECUTE, BATCH) is routed to the clusters and with -1, exactly once,
	// when the client got its answer or the request was abandoned.
	OnInflight func(t InflightType, delta int)
	// OnSecondaryWriteFailure is called when a background secondary write
	// (DUAL_ASYNC_ON_SECONDARY) failed, timed out or did not fit the budget;
	// reason is one of the Reason* constants.
	OnSecondaryWriteFailure func(c Cluster, keyspace, table, reason string)
}

// InflightType classifies a client request in flight: a write (sent to both
// clusters) or a read by the cluster serving it.
type InflightType uint8

// Inflight types; inflightNone marks a request that is not counted.
const (
	InflightReadsOrigin InflightType = iota
	InflightReadsTarget
	InflightWrites
	inflightNone
)

// inflightType is how a request sent to the given clusters is counted.
func inflightType(opcode byte, kind classify.Kind, toOrigin, toTarget bool) InflightType {
	switch opcode {
	case frame.OpQuery, frame.OpExecute, frame.OpBatch:
	default:
		return inflightNone
	}
	switch {
	case toOrigin && toTarget:
		return InflightWrites
	case kind.IsRead() && toOrigin:
		return InflightReadsOrigin
	case kind.IsRead() && toTarget:
		return InflightReadsTarget
	case toOrigin || toTarget:
		return InflightWrites // a non-read sent to one cluster: counted like onRequest does
	}
	return inflightNone
}

// clusterSets are the possible RequestOutcome.Clusters, shared so reporting
// an outcome allocates nothing; index: bit 0 Origin, bit 1 Target.
var clusterSets = [4][]Cluster{nil, {Origin}, {Target}, {Origin, Target}}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
