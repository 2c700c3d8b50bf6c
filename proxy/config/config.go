// Package config loads and validates the zdm-proxy configuration from an
// optional YAML file plus ZDM_* environment overrides.
package config

import (
	"fmt"
	"log/slog"
	"strings"
)

// Cluster names used by primary_cluster and system_queries_mode.
const (
	ClusterOrigin = "ORIGIN"
	ClusterTarget = "TARGET"
)

// Read modes.
const (
	ReadModePrimaryOnly          = "PRIMARY_ONLY"
	ReadModeDualAsyncOnSecondary = "DUAL_ASYNC_ON_SECONDARY"
)

// ClusterConfig is how to reach and authenticate to one cluster.
type ClusterConfig struct {
	ContactPoints   []string
	Port            int
	Username        string
	Password        string
	LocalDatacenter string
}

// Addresses returns host:port for every contact point.
func (c ClusterConfig) Addresses() []string {
	out := make([]string, 0, len(c.ContactPoints))
	for _, h := range c.ContactPoints {
		out = append(out, joinHostPort(h, c.Port))
	}
	return out
}

// Config is the whole proxy configuration. Fields map 1:1 to keys in keys.go.
type Config struct {
	PrimaryCluster    string
	ReadMode          string
	SystemQueriesMode string

	Origin ClusterConfig
	Target ClusterConfig

	ListenAddress      string
	ListenPort         int
	TopologyIndex      int
	TopologyAddresses  []string
	RequestTimeoutMs   int
	MaxClientConns     int
	MaxStreamIDs       int
	PreparedCacheSize  int
	AsyncReadQueueSize int
	HeartbeatMs        int
	ShutdownTimeoutMs  int
	// ShutdownGraceMs is how long a shutdown keeps client connections open
	// after telling registered clients the proxy is DOWN (shutdown.go).
	ShutdownGraceMs int

	LogLevel       string
	MetricsAddress string
	MetricsPort    int
	// AdminAddress:AdminPort serves the admin API (/api/v1/*: status
	// and running config), apart from the metrics listener so metrics can
	// be exposed without it; loopback by default.
	AdminAddress string
	AdminPort    int
	// PeerNoticeToken is the fleet's shared secret for the peer notices
	// on the metrics listener (proxy/peernotice): sent on every draining
	// notice, required on every one received; "" leaves them open.
	PeerNoticeToken string

	Ops    // operations keys (metrics, TLS, logs, read comparison): ops.go
	Writes // write_mode, the journal of missed writes, target consistency: writes.go

	Admission // limits on what clients may cost before and after login: admission.go
}

// ListenAddr is proxy_listen_address:proxy_listen_port.
func (c *Config) ListenAddr() string { return joinHostPort(c.ListenAddress, c.ListenPort) }

// SlogLevel maps log_level to a slog level.
func (c *Config) SlogLevel() slog.Level {
	switch strings.ToUpper(c.LogLevel) {
	case "DEBUG", "TRACE":
		return slog.LevelDebug
	case "WARN", "WARNING":
		return slog.LevelWarn
	case "ERROR", "FATAL", "PANIC":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// LogValue renders the config for logs with secrets redacted.
func (c *Config) LogValue() slog.Value {
	var attrs []slog.Attr
	for _, k := range knownKeys {
		v := k.get(c)
		if k.secret && v != "" {
			v = "<redacted>"
		}
		attrs = append(attrs, slog.String(k.name, v))
	}
	return slog.GroupValue(attrs...)
}

func joinHostPort(h string, p int) string {
	if strings.Contains(h, ":") && !strings.HasPrefix(h, "[") {
		return fmt.Sprintf("[%s]:%d", h, p)
	}
	return fmt.Sprintf("%s:%d", h, p)
}
