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
