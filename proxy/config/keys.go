package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// key describes one configuration key: its name (YAML key; the env var is
// ZDM_ + upper-case name), default, how to parse it into a Config and how to
// read it back. This table is the one place to add new keys.
type key struct {
	name    string
	def     string
	secret  bool
	allowed string
	set     func(c *Config, v string) error // returns an error naming what is allowed
	get     func(c *Config) string
}

// The write-path keys are in writes.go.
var knownKeys = append([]key{
	enumKey("primary_cluster", ClusterOrigin, func(c *Config) *string { return &c.PrimaryCluster }, ClusterOrigin, ClusterTarget),
	enumKey("read_mode", ReadModePrimaryOnly, func(c *Config) *string { return &c.ReadMode }, ReadModePrimaryOnly, ReadModeDualAsyncOnSecondary),
	enumKey("system_queries_mode", ClusterOrigin, func(c *Config) *string { return &c.SystemQueriesMode }, ClusterOrigin, ClusterTarget),

	listKey("origin_contact_points", func(c *Config) *[]string { return &c.Origin.ContactPoints }),
	intKey("origin_port", "9042", 1, 65535, func(c *Config) *int { return &c.Origin.Port }),
	strKey("origin_username", "", false, func(c *Config) *string { return &c.Origin.Username }),
	strKey("origin_password", "", true, func(c *Config) *string { return &c.Origin.Password }),
	strKey("origin_local_datacenter", "", false, func(c *Config) *string { return &c.Origin.LocalDatacenter }),

	listKey("target_contact_points", func(c *Config) *[]string { return &c.Target.ContactPoints }),
	intKey("target_port", "9042", 1, 65535, func(c *Config) *int { return &c.Target.Port }),
	strKey("target_username", "", false, func(c *Config) *string { return &c.Target.Username }),
	strKey("target_password", "", true, func(c *Config) *string { return &c.Target.Password }),
	strKey("target_local_datacenter", "", false, func(c *Config) *string { return &c.Target.LocalDatacenter }),

	hostKey("proxy_listen_address", "0.0.0.0", func(c *Config) *string { return &c.ListenAddress }),
	intKey("proxy_listen_port", "9042", 0, 65535, func(c *Config) *int { return &c.ListenPort }),
	intKey("proxy_topology_index", "0", 0, 1<<20, func(c *Config) *int { return &c.TopologyIndex }),
	listKey("proxy_topology_addresses", func(c *Config) *[]string { return &c.TopologyAddresses }),
	intKey("proxy_request_timeout_ms", "10000", 1, 3600_000, func(c *Config) *int { return &c.RequestTimeoutMs }),
	intKey("proxy_max_client_connections", "1000", 1, 1_000_000, func(c *Config) *int { return &c.MaxClientConns }),
	intKey("proxy_max_frame_bytes", "268435456", MinFrameBytes, MaxFrameBytes, func(c *Config) *int { return &c.MaxFrameBytes }),
	intKey("proxy_max_handshaking_connections", "256", 1, 1_000_000, func(c *Config) *int { return &c.MaxHandshakingConns }),
	intKey("proxy_handshake_timeout_ms", "10000", 100, 600_000, func(c *Config) *int { return &c.HandshakeTimeoutMs }),
	intKey("proxy_max_read_buffer_bytes", "1073741824", 1<<20, 1<<40, func(c *Config) *int { return &c.MaxReadBufferBytes }),
	intKey("proxy_max_stream_ids", "2048", 1, 32768, func(c *Config) *int { return &c.MaxStreamIDs }),
	intKey("proxy_max_prepared_statement_cache_size", "5000", 1, 10_000_000, func(c *Config) *int { return &c.PreparedCacheSize }),
	intKey("proxy_async_read_queue_size", "2048", 0, 1_000_000, func(c *Config) *int { return &c.AsyncReadQueueSize }),
	intKey("proxy_shutdown_timeout_ms", "10000", 0, 3600_000, func(c *Config) *int { return &c.ShutdownTimeoutMs }),
	intKey("proxy_shutdown_grace_ms", "2000", 0, 600_000, func(c *Config) *int { return &c.ShutdownGraceMs }),
	intKey("heartbeat_interval_ms", "30000", 100, 3600_000, func(c *Config) *int { return &c.HeartbeatMs }),

	enumKey("log_level", "INFO", func(c *Config) *string { return &c.LogLevel }, "DEBUG", "INFO", "WARN", "ERROR"),
	hostKey("metrics_address", "localhost", func(c *Config) *string { return &c.MetricsAddress }),
	intKey("metrics_port", "14001", 0, 65535, func(c *Config) *int { return &c.MetricsPort }),
	hostKey("admin_address", "localhost", func(c *Config) *string { return &c.AdminAddress }),
	intKey("admin_port", "14002", 0, 65535, func(c *Config) *int { return &c.AdminPort }),
	strKey("peer_notice_token", "", true, func(c *Config) *string { return &c.PeerNoticeToken }),

	enumKey("log_format", "text", func(c *Config) *string { return &c.LogFormat }, "text", "json"),
	boolKey("metrics_enabled", "true", func(c *Config) *bool { return &c.MetricsEnabled }),
	bucketsKey("metrics_proxy_latency_buckets_ms", func(c *Config) *[]float64 { return &c.ProxyBucketsMs }),
	bucketsKey("metrics_origin_latency_buckets_ms", func(c *Config) *[]float64 { return &c.OriginBucketsMs }),
	bucketsKey("metrics_target_latency_buckets_ms", func(c *Config) *[]float64 { return &c.TargetBucketsMs }),
	bucketsKey("metrics_async_latency_buckets_ms", func(c *Config) *[]float64 { return &c.AsyncBucketsMs }),

	pathKey("proxy_tls_cert_path", func(c *Config) *string { return &c.ProxyTLS.CertPath }),
	pathKey("proxy_tls_key_path", func(c *Config) *string { return &c.ProxyTLS.KeyPath }),
	pathKey("proxy_tls_ca_path", func(c *Config) *string { return &c.ProxyTLS.CAPath }),
	boolKey("proxy_tls_require_client_auth", "false", func(c *Config) *bool { return &c.ProxyTLS.RequireClientAuth }),
	pathKey("origin_tls_server_ca_path", func(c *Config) *string { return &c.OriginTLS.ServerCAPath }),
	pathKey("origin_tls_client_cert_path", func(c *Config) *string { return &c.OriginTLS.ClientCertPath }),
	pathKey("origin_tls_client_key_path", func(c *Config) *string { return &c.OriginTLS.ClientKeyPath }),
	boolKey("origin_tls_skip_hostname_verification", "false", func(c *Config) *bool { return &c.OriginTLS.SkipHostnameVerification }),
	pathKey("target_tls_server_ca_path", func(c *Config) *string { return &c.TargetTLS.ServerCAPath }),
	pathKey("target_tls_client_cert_path", func(c *Config) *string { return &c.TargetTLS.ClientCertPath }),
	pathKey("target_tls_client_key_path", func(c *Config) *string { return &c.TargetTLS.ClientKeyPath }),
	boolKey("target_tls_skip_hostname_verification", "false", func(c *Config) *bool { return &c.TargetTLS.SkipHostnameVerification }),

	floatKey("async_read_compare_sample_rate", "1", 0, 1, func(c *Config) *float64 { return &c.CompareSampleRate }),
	boolKey("log_mismatch_values", "false", func(c *Config) *bool { return &c.LogMismatchValues }),
	boolKey("replace_cql_functions", "false", func(c *Config) *bool { return &c.ReplaceCQLFunctions }),
}, writeKeys...)

func findKey(name string) *key {
	for i := range knownKeys {
		if knownKeys[i].name == name {
			return &knownKeys[i]
		}
	}
	return nil
}

func strKey(name, def string, secret bool, f func(*Config) *string) key {
	return key{name: name, def: def, secret: secret, allowed: "any string",
		set: func(c *Config, v string) error { *f(c) = v; return nil },
		get: func(c *Config) string { return *f(c) }}
}

func enumKey(name, def string, f func(*Config) *string, allowed ...string) key {
	return key{name: name, def: def, allowed: strings.Join(allowed, ", "),
		set: func(c *Config, v string) error {
			for _, a := range allowed {
				if strings.EqualFold(a, strings.TrimSpace(v)) {
					*f(c) = a
					return nil
				}
			}
			return fmt.Errorf("allowed: %s", strings.Join(allowed, ", "))
		},
		get: func(c *Config) string { return *f(c) }}
}

func intKey(name, def string, lo, hi int, f func(*Config) *int) key {
	return key{name: name, def: def, allowed: fmt.Sprintf("an integer from %d to %d", lo, hi),
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < lo || n > hi {
				return fmt.Errorf("allowed: an integer from %d to %d", lo, hi)
			}
			*f(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*f(c)) }}
}

func hostKey(name, def string, f func(*Config) *string) key {
	return key{name: name, def: def, allowed: "a host name or IP address",
		set: func(c *Config, v string) error {
			v = strings.TrimSpace(v)
			if v == "" || strings.ContainsAny(v, " /,") {
				return fmt.Errorf("allowed: a host name or IP address")
			}
			*f(c) = v
			return nil
		},
		get: func(c *Config) string { return *f(c) }}
}

// listKey parses a comma-separated list of hosts (a YAML list is joined with
// commas before parsing).
func listKey(name string, f func(*Config) *[]string) key {
	return key{name: name, allowed: "a comma-separated list (or YAML list) of host names or IP addresses",
		set: func(c *Config, v string) error {
			var out []string
			for _, p := range strings.Split(v, ",") {
				p = strings.TrimSpace(p)
				if p == "" {
					continue
				}
				if strings.ContainsAny(p, " /") || (strings.Count(p, ":") == 1 && net.ParseIP(p) == nil) {
					return fmt.Errorf("allowed: a comma-separated list of host names or IP addresses (no ports)")
				}
				out = append(out, p)
			}
			*f(c) = out
			return nil
		},
		get: func(c *Config) string { return strings.Join(*f(c), ",") }}
}

// KeyInfo describes one configuration key for documentation.
type KeyInfo struct {
	Name, Env, Default, Allowed string
	Secret                      bool
}

// Keys lists every known key in table order.
func Keys() []KeyInfo {
	out := make([]KeyInfo, 0, len(knownKeys))
	for _, k := range knownKeys {
		out = append(out, KeyInfo{Name: k.name, Env: EnvPrefix + strings.ToUpper(k.name), Default: k.def, Allowed: k.allowed, Secret: k.secret})
	}
	return out
}
