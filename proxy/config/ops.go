package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Ops are the operations keys: metrics, TLS, log format and the async read
// comparison. Embedded in Config.
type Ops struct {
	LogFormat      string
	MetricsEnabled bool
	// Latency histogram buckets in milliseconds; empty means the default.
	ProxyBucketsMs, OriginBucketsMs, TargetBucketsMs, AsyncBucketsMs []float64

	ProxyTLS             ServerTLS
	OriginTLS, TargetTLS ClusterTLS

	// CompareSampleRate is the fraction (0..1) of async reads whose result
	// is compared with the primary's; default 1 (every read: digesting a
	// page costs about as much as the proxy's own frame handling, and async
	// reads are already an opt-in diagnostic mode).
	CompareSampleRate float64
	LogMismatchValues bool

	// ReplaceCQLFunctions replaces now() in writes by one proxy-chosen
	// timeuuid so both clusters store the same value.
	ReplaceCQLFunctions bool
}

// ServerTLS are the proxy_tls_* keys (client-facing listener).
type ServerTLS struct {
	CertPath, KeyPath, CAPath string
	RequireClientAuth         bool
}

// ClusterTLS are the <cluster>_tls_* keys (proxy to one cluster).
type ClusterTLS struct {
	ServerCAPath, ClientCertPath, ClientKeyPath string
	SkipHostnameVerification                    bool
}

func boolKey(name, def string, f func(*Config) *bool) key {
	return key{name: name, def: def, allowed: "true or false",
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("allowed: true or false")
			}
			*f(c) = b
			return nil
		},
		get: func(c *Config) string { return strconv.FormatBool(*f(c)) }}
}

func floatKey(name, def string, lo, hi float64, f func(*Config) *float64) key {
	return key{name: name, def: def, allowed: fmt.Sprintf("a number from %g to %g", lo, hi),
		set: func(c *Config, v string) error {
			x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || !(x >= lo && x <= hi) {
				return fmt.Errorf("allowed: a number from %g to %g", lo, hi)
			}
			*f(c) = x
			return nil
		},
		get: func(c *Config) string { return strconv.FormatFloat(*f(c), 'g', -1, 64) }}
}

// pathKey is a file path; empty disables what it configures.
func pathKey(name string, f func(*Config) *string) key {
	return key{name: name, allowed: "a file path (empty: not set)",
		set: func(c *Config, v string) error {
			v = strings.TrimSpace(v)
			if strings.ContainsAny(v, "\n\x00") {
				return fmt.Errorf("allowed: a file path (empty: not set)")
			}
			*f(c) = v
			return nil
		},
		get: func(c *Config) string { return *f(c) }}
}

// bucketsKey is a comma-separated (or YAML) list of increasing positive
// numbers of milliseconds; empty means the default buckets.
func bucketsKey(name string, f func(*Config) *[]float64) key {
	const allowed = "a comma-separated list (or YAML list) of increasing positive numbers of milliseconds (empty: default buckets)"
	return key{name: name, allowed: allowed,
		set: func(c *Config, v string) error {
			var out []float64
			for _, p := range strings.Split(v, ",") {
				p = strings.TrimSpace(p)
				if p == "" {
					continue
				}
				x, err := strconv.ParseFloat(p, 64)
				if err != nil || !(x > 0) || x > 1e9 || (len(out) > 0 && x <= out[len(out)-1]) {
					return fmt.Errorf("allowed: %s", allowed)
				}
				out = append(out, x)
			}
			*f(c) = out
			return nil
		},
		get: func(c *Config) string {
			parts := make([]string, 0, len(*f(c)))
			for _, x := range *f(c) {
				parts = append(parts, strconv.FormatFloat(x, 'g', -1, 64))
			}
			return strings.Join(parts, ",")
		}}
}

// mutableKeys take effect on reload without a restart.
var mutableKeys = map[string]bool{
	"read_mode": true, "primary_cluster": true, "log_level": true,
	"proxy_request_timeout_ms": true, "heartbeat_interval_ms": true,
	"proxy_max_client_connections": true,
	// Only affect logging and sampling of async reads, read per event.
	"log_mismatch_values": true, "async_read_compare_sample_rate": true,
	// Read per request (write path: writes.go).
	"write_mode": true, "target_consistency_level": true,
}

// IsMutable reports whether key name takes effect on reload.
func IsMutable(name string) bool { return mutableKeys[name] }

// ChangedKeys lists the keys whose effective value differs between a and b,
// split into mutable and immutable ones, each sorted.
func ChangedKeys(a, b *Config) (mutable, immutable []string) {
	for _, k := range knownKeys {
		if k.get(a) == k.get(b) {
			continue
		}
		if mutableKeys[k.name] {
			mutable = append(mutable, k.name)
		} else {
			immutable = append(immutable, k.name)
		}
	}
	sort.Strings(mutable)
	sort.Strings(immutable)
	return mutable, immutable
}

// Values renders every key's effective value as a string, secrets included
// (redact before showing it anywhere).
func (c *Config) Values() map[string]string {
	out := make(map[string]string, len(knownKeys))
	for _, k := range knownKeys {
		out[k.name] = k.get(c)
	}
	return out
}

// Canonical is a stable text rendering of the effective config, one
// "key=value" line per key in table order, secrets included: what
// config_sha256 hashes when no config file was loaded.
func (c *Config) Canonical() []byte {
	var b strings.Builder
	for _, k := range knownKeys {
		b.WriteString(k.name)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(k.get(c)))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}
