package admin

import "time"

// ClusterStatus is the health of one backend cluster as the proxy sees it.
type ClusterStatus struct {
	Name          string    `json:"name"` // "origin" or "target"
	Reachable     bool      `json:"reachable"`
	LastHeartbeat time.Time `json:"last_heartbeat,omitzero"`
	Error         string    `json:"error,omitempty"` // why it is unreachable
	// Optional: the proxy serves its clients without this cluster right
	// now (the secondary of write_mode DUAL_ASYNC_ON_SECONDARY, whose
	// writes are journaled while it is down). Unreachable, it makes the
	// proxy degraded, not unready.
	Optional bool `json:"optional,omitempty"`
	// DisconnectedConnections is how many client connections run without
	// their connection to this cluster (reconnecting in the background).
	DisconnectedConnections int64 `json:"disconnected_connections,omitempty"`
}

// Health is implemented by the proxy: the current status of every cluster.
// It is called once per readiness request and must be cheap and safe for
// concurrent use.
type Health interface {
	ClusterStatus() []ClusterStatus
}

// HealthFunc adapts a function to Health.
type HealthFunc func() []ClusterStatus

// ClusterStatus calls f.
func (f HealthFunc) ClusterStatus() []ClusterStatus { return f() }

// Readiness is the JSON body of /health/readiness.
type Readiness struct {
	Ready           bool     `json:"ready"`
	Reason          string   `json:"reason,omitempty"`
	FailingClusters []string `json:"failing_clusters,omitempty"`
	// Degraded: ready, but an optional cluster is unreachable or client
	// connections run without it (Reason says which and why).
	Degraded         bool            `json:"degraded,omitempty"`
	DegradedClusters []string        `json:"degraded_clusters,omitempty"`
	Clusters         []ClusterStatus `json:"clusters"`
}

// BuildInfo describes the running binary.
type BuildInfo struct {
	Version     string `json:"version"`
	GoVersion   string `json:"go_version"`
	VCSRevision string `json:"vcs_revision,omitempty"`
	VCSTime     string `json:"vcs_time,omitempty"`
	VCSModified bool   `json:"vcs_modified,omitempty"`
}

// Status is the JSON body of /api/v1/status.
type Status struct {
	Version string    `json:"version"`
	Build   BuildInfo `json:"build"`
	// StartTime is when the proxy started; UptimeSeconds is filled by the
	// server from it at request time.
	StartTime     time.Time `json:"start_time"`
	UptimeSeconds float64   `json:"uptime_seconds"`
	// Config is the effective configuration with secrets redacted (Redact).
	Config map[string]any `json:"config"`
	// ConfigSHA256 is the hex SHA-256 of the effective configuration
	// (ConfigSHA256), so a fleet can be checked for drift.
	ConfigSHA256      string          `json:"config_sha256"`
	ReadMode          string          `json:"read_mode"`
	PrimaryCluster    string          `json:"primary_cluster"`
	ClientConnections int64           `json:"client_connections"`
	InflightRequests  int64           `json:"inflight_requests"`
	Clusters          []ClusterStatus `json:"clusters,omitempty"`
	// RestartPending is true when the config on disk changed keys that only
	// take effect after a restart; ChangedImmutableKeys lists them.
	RestartPending       bool     `json:"restart_pending"`
	ChangedImmutableKeys []string `json:"changed_immutable_keys,omitempty"`
	// WriteMode is write_mode; Journal the journal of missed writes (nil
	// without journal_dir).
	WriteMode string         `json:"write_mode,omitempty"`
	Journal   *JournalStatus `json:"journal,omitempty"`
	// Degraded and DegradedReason: the proxy serves without an optional
	// cluster (see Readiness.Degraded), as /health/readiness reports it.
	Degraded       bool   `json:"degraded,omitempty"`
	DegradedReason string `json:"degraded_reason,omitempty"`
}

// JournalStatus counts the journal of writes a cluster missed
// (DUAL_ASYNC_ON_SECONDARY).
type JournalStatus struct {
	Dir             string `json:"dir"`
	Pending         int64  `json:"pending"`
	NeedsRepair     int64  `json:"needs_repair"`
	Bytes           int64  `json:"bytes"`
	Dropped         int64  `json:"dropped"`
	CorruptSegments int64  `json:"corrupt_segments"`
}
