package zdm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Paths on the proxy hosts.
const (
	ServiceName  = "zdm-proxy"
	ServiceUser  = "zdm"
	InstallDir   = "/opt/zdm-proxy"
	ConfigDir    = "/etc/zdm-proxy"
	ConfigPath   = ConfigDir + "/zdm-proxy.yaml"
	StateDir     = "/var/lib/zdm-proxy"
	JournalDir   = StateDir + "/journal"
	ProxyGroup   = "proxies"
	MonitorGroup = "monitoring"
	// AdminPort is the default metrics_port: /metrics and /health/*.
	AdminPort = 14001
	// APIPort is the default admin_port: the admin API (/api/v1/*), on
	// admin_address (loopback by default).
	APIPort = 14002
)

// keyKind is how a proxy key's value is checked and written.
type keyKind int

const (
	kindString keyKind = iota
	kindInt
	kindEnum
	kindList
	kindBool
)

// proxyKey is one key of the proxy's config file, under the proxy's own
// name (see proxy/config), as an inventory var of the same name.
type proxyKey struct {
	name     string
	kind     keyKind
	def      string   // rendered when the inventory leaves it unset ("" = omitted)
	allowed  []string // enum values
	lo, hi   int      // int range
	reload   bool     // live-reloadable (SIGHUP) without a restart
	required bool
}

// keys in the order they are rendered.
var keys = []proxyKey{
	{name: "primary_cluster", kind: kindEnum, def: "ORIGIN", allowed: []string{"ORIGIN", "TARGET"}, reload: true},
	{name: "read_mode", kind: kindEnum, def: "PRIMARY_ONLY", allowed: []string{"PRIMARY_ONLY", "DUAL_ASYNC_ON_SECONDARY"}, reload: true},
	{name: "log_level", kind: kindEnum, def: "INFO", allowed: []string{"DEBUG", "INFO", "WARN", "ERROR"}, reload: true},
	{name: "system_queries_mode", kind: kindEnum, allowed: []string{"ORIGIN", "TARGET"}},

	{name: "origin_contact_points", kind: kindList, required: true},
	{name: "origin_port", kind: kindInt, lo: 1, hi: 65535},
	{name: "origin_username", kind: kindString},
	{name: "origin_password", kind: kindString},
	{name: "origin_local_datacenter", kind: kindString},
	{name: "target_contact_points", kind: kindList, required: true},
	{name: "target_port", kind: kindInt, lo: 1, hi: 65535},
	{name: "target_username", kind: kindString},
	{name: "target_password", kind: kindString},
	{name: "target_local_datacenter", kind: kindString},

	{name: "proxy_listen_address", kind: kindString},
	{name: "proxy_listen_port", kind: kindInt, lo: 1, hi: 65535},
	{name: "proxy_request_timeout_ms", kind: kindInt, lo: 1, hi: 3600000, reload: true},
	{name: "proxy_max_client_connections", kind: kindInt, lo: 1, hi: 1000000, reload: true},
	{name: "proxy_max_frame_bytes", kind: kindInt, lo: 65536, hi: 268435456},
	{name: "proxy_max_handshaking_connections", kind: kindInt, lo: 1, hi: 1000000},
	{name: "proxy_handshake_timeout_ms", kind: kindInt, lo: 100, hi: 600000},
	{name: "proxy_max_read_buffer_bytes", kind: kindInt, lo: 1048576, hi: 1099511627776},
	{name: "proxy_max_stream_ids", kind: kindInt, lo: 1, hi: 32768},
	{name: "proxy_max_prepared_statement_cache_size", kind: kindInt, lo: 1, hi: 10000000},
	{name: "proxy_async_read_queue_size", kind: kindInt, lo: 0, hi: 1000000},
	{name: "proxy_shutdown_timeout_ms", kind: kindInt, lo: 0, hi: 3600000},
	{name: "proxy_shutdown_grace_ms", kind: kindInt, lo: 0, hi: 600000},
	{name: "heartbeat_interval_ms", kind: kindInt, lo: 100, hi: 3600000, reload: true},
	// zdmctl's default is every address, not the proxy's own (localhost):
	// the fleet's proxies must reach each other's /health/peer/* (drain
	// notices, so a restart needs no linger; UP on readiness) and
	// Prometheus must scrape them. The port serves /metrics and /health/*
	// only (the admin API has its own loopback listener), drain notices
	// need peer_notice_token, and the CQL port listens on every address
	// by default too. `metrics_address: localhost` keeps it on loopback.
	{name: "metrics_address", kind: kindString, def: "0.0.0.0"},
	{name: "metrics_port", kind: kindInt, lo: 1, hi: 65535},
	{name: "admin_address", kind: kindString},
	{name: "admin_port", kind: kindInt, lo: 1, hi: 65535},
	// The fleet's secret for the peer notices (proxy/peernotice): zdmctl
	// defaults it to a generated token (zdmcmd/peertoken.go).
	{name: "peer_notice_token", kind: kindString},

	// TLS: file paths on the proxy host, rendered only when set.
	{name: "origin_tls_server_ca_path", kind: kindString},
	{name: "origin_tls_client_cert_path", kind: kindString},
	{name: "origin_tls_client_key_path", kind: kindString},
	{name: "target_tls_server_ca_path", kind: kindString},
	{name: "target_tls_client_cert_path", kind: kindString},
	{name: "target_tls_client_key_path", kind: kindString},
	{name: "proxy_tls_ca_path", kind: kindString},
	{name: "proxy_tls_cert_path", kind: kindString},
	{name: "proxy_tls_key_path", kind: kindString},
	{name: "proxy_tls_require_client_auth", kind: kindBool},

	// Writes (proxy/config/writes.go): the journal of missed writes lives
	// in JournalDir, created by zdm-deploy owned by the proxy's user.
	{name: "write_mode", kind: kindEnum, allowed: []string{"DUAL_SYNC", "DUAL_ASYNC_ON_SECONDARY"}, reload: true},
	{name: "journal_dir", kind: kindString, def: JournalDir},
	{name: "journal_max_bytes", kind: kindInt, lo: 1 << 20, hi: 1 << 50},
	{name: "secondary_write_max_in_flight", kind: kindInt, lo: 1, hi: 1000000},
	{name: "secondary_write_max_bytes", kind: kindInt, lo: 1 << 16, hi: 1 << 40},
	{name: "target_consistency_level", kind: kindEnum, reload: true,
		allowed: []string{"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "LOCAL_ONE"}},
}

// Reloadable reports whether key can change with a live reload (SIGHUP).
func Reloadable(key string) bool {
	k := findKey(key)
	return k != nil && k.reload
}

// IsProxyKey reports whether key is a proxy config key zdmctl renders.
func IsProxyKey(key string) bool { return findKey(key) != nil }

func findKey(name string) *proxyKey {
	for i := range keys {
		if keys[i].name == name {
			return &keys[i]
		}
	}
	return nil
}

// Topology is the proxies group: addresses in inventory order.
type Topology struct {
	Addresses []string
	Index     int // this host's position
}

// Config is one host's rendered proxy config.
type Config struct {
	Text string
	// Values are the rendered keys (secrets included: never log them).
	Values map[string]string
}

// SHA256 is the hex SHA-256 of the rendered text (the proxy's
// config_sha256 once loaded).
func (c *Config) SHA256() string { return Hash([]byte(c.Text)) }

// RestartKey is a hash over the keys that cannot be reloaded live: when it
// changes between two configs, the proxy must restart.
func (c *Config) RestartKey() string {
	var b strings.Builder
	for _, k := range keys {
		if v, ok := c.Values[k.name]; ok && !k.reload {
			fmt.Fprintf(&b, "%s=%s\n", k.name, v)
		}
	}
	for _, name := range []string{"proxy_topology_addresses", "proxy_topology_index"} {
		fmt.Fprintf(&b, "%s=%s\n", name, c.Values[name])
	}
	return Hash([]byte(b.String()))
}

// Hash is hex SHA-256.
func Hash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Validate checks the ZDM vars of one host (the effective vars) and returns
// one line per problem.
func Validate(vars map[string]any) error {
	_, err := values(vars)
	return err
}

func values(vars map[string]any) (map[string]string, error) {
	out := map[string]string{}
	for _, k := range keys {
		raw, ok := vars[k.name]
		if !ok || raw == nil || raw == "" {
			if k.required {
				return nil, fmt.Errorf("var %s is required (e.g. %s: \"10.0.0.1,10.0.0.2\")", k.name, k.name)
			}
			if k.def != "" {
				out[k.name] = k.def
			}
			continue
		}
		v, err := normalise(&k, raw)
		if err != nil {
			return nil, &VarError{Key: k.name, Err: err}
		}
		if err := proxyCheck(k.name, v); err != nil {
			return nil, &VarError{Key: k.name, Err: err}
		}
		out[k.name] = v
	}
	return out, nil
}

func normalise(k *proxyKey, raw any) (string, error) {
	switch k.kind {
	case kindList:
		var parts []string
		switch x := raw.(type) {
		case []any:
			for _, e := range x {
				parts = append(parts, fmt.Sprint(e))
			}
		default:
			parts = strings.Split(fmt.Sprint(x), ",")
		}
		var clean []string
		for _, p := range parts {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			if strings.ContainsAny(p, " /") {
				return "", fmt.Errorf("%q is not a host name or IP address (give ports in the _port var)", p)
			}
			clean = append(clean, p)
		}
		if len(clean) == 0 {
			if k.required {
				return "", fmt.Errorf("is empty; at least one contact point is required")
			}
			return "", nil
		}
		return strings.Join(clean, ","), nil
	case kindInt:
		n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(raw)))
		if err != nil || n < k.lo || n > k.hi {
			return "", fmt.Errorf("%q: allowed an integer from %d to %d", fmt.Sprint(raw), k.lo, k.hi)
		}
		return strconv.Itoa(n), nil
	case kindEnum:
		s := strings.TrimSpace(fmt.Sprint(raw))
		for _, a := range k.allowed {
			if strings.EqualFold(a, s) {
				return a, nil
			}
		}
		return "", fmt.Errorf("%q: allowed %s", s, strings.Join(k.allowed, ", "))
	case kindBool:
		switch strings.ToLower(fmt.Sprint(raw)) {
		case "true", "yes":
			return "true", nil
		case "false", "no":
			return "false", nil
		}
		return "", fmt.Errorf("%q: allowed true or false", fmt.Sprint(raw))
	default:
		return fmt.Sprint(raw), nil
	}
}

// Render builds the proxy config of one host from its effective vars and
// the proxies' topology. The output is deterministic: same inputs, same
// bytes, same hash.
func Render(vars map[string]any, topo Topology) (*Config, error) {
	vals, err := values(vars)
	if err != nil {
		return nil, err
	}
	if len(topo.Addresses) > 0 {
		vals["proxy_topology_addresses"] = strings.Join(topo.Addresses, ",")
		vals["proxy_topology_index"] = strconv.Itoa(topo.Index)
	}
	var b strings.Builder
	b.WriteString("# Rendered by zdmctl from the inventory; edits are reported as drift and\n# replaced by the next deploy or rolling-update.\n")
	write := func(name string) {
		v, ok := vals[name]
		if !ok {
			return
		}
		k := findKey(name)
		if k != nil && (k.kind == kindInt || k.kind == kindBool) || name == "proxy_topology_index" {
			fmt.Fprintf(&b, "%s: %s\n", name, v)
			return
		}
		q, _ := json.Marshal(v) // a JSON string is a valid YAML scalar
		fmt.Fprintf(&b, "%s: %s\n", name, q)
	}
	for _, k := range keys {
		write(k.name)
	}
	write("proxy_topology_addresses")
	write("proxy_topology_index")
	if err := proxyParse(b.String()); err != nil {
		return nil, err
	}
	return &Config{Text: b.String(), Values: vals}, nil
}

// ReloadableKeys lists the live-reloadable keys, sorted.
func ReloadableKeys() []string {
	var out []string
	for _, k := range keys {
		if k.reload {
			out = append(out, k.name)
		}
	}
	sort.Strings(out)
	return out
}
