// Package proxy is the CQL data path of zdm-proxy: it accepts driver
// connections, opens one connection per client to each cluster (Origin and
// Target), and routes every request by its kind: writes to both clusters,
// reads to the primary, system.local/peers answered locally.
package proxy

import (
	"time"

	"github.com/zdmctl/zdmctl/proxy/config"
)

// Cluster identifies Origin or Target; it indexes per-cluster arrays.
type Cluster int

// The two clusters.
const (
	Origin Cluster = 0
	Target Cluster = 1
)

func (c Cluster) String() string {
	if c == Target {
		return "TARGET"
	}
	return "ORIGIN"
}

// Other returns the other cluster.
func (c Cluster) Other() Cluster { return 1 - c }

// Settings are the values that may change at runtime (SIGHUP reload). They
// are read through an atomic pointer on every request; swap the whole struct
// with Server.SetSettings.
type Settings struct {
	Primary           Cluster
	DualAsyncReads    bool
	SystemQueries     Cluster
	RequestTimeout    time.Duration
	HeartbeatInterval time.Duration
	MaxClientConns    int
	// AsyncWrites is write_mode DUAL_ASYNC_ON_SECONDARY (asyncwrite.go).
	AsyncWrites bool
	// TargetCL is target_consistency_level's protocol code, -1 for the
	// client's own.
	TargetCL int32
}

// SettingsFromConfig extracts the runtime-mutable settings.
func SettingsFromConfig(c *config.Config) Settings {
	s := Settings{
		Primary:           Origin,
		DualAsyncReads:    c.ReadMode == config.ReadModeDualAsyncOnSecondary,
		SystemQueries:     Origin,
		RequestTimeout:    time.Duration(c.RequestTimeoutMs) * time.Millisecond,
		HeartbeatInterval: time.Duration(c.HeartbeatMs) * time.Millisecond,
		MaxClientConns:    c.MaxClientConns,
		AsyncWrites:       c.WriteMode == config.WriteModeDualAsyncOnSecondary,
		TargetCL:          -1,
	}
	if cl, ok := config.ConsistencyCode(c.TargetConsistencyLevel); ok {
		s.TargetCL = int32(cl)
	}
	if c.PrimaryCluster == config.ClusterTarget {
		s.Primary = Target
	}
	if c.SystemQueriesMode == config.ClusterTarget {
		s.SystemQueries = Target
	}
	return s
}
