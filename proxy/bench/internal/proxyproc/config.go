package proxyproc

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// Read modes and cluster names as the proxy's read_mode and primary_cluster
// keys spell them.
const (
	ReadModePrimaryOnly          = "PRIMARY_ONLY"
	ReadModeDualAsyncOnSecondary = "DUAL_ASYNC_ON_SECONDARY"
	ClusterOrigin                = "ORIGIN"
)

// Config is the part of the proxy configuration the benchmark sets. Every
// field maps to a ZDM Proxy key; nothing else is written, so the proxy's
// strict loader accepts the file.
type Config struct {
	Origin         *net.TCPAddr
	Target         *net.TCPAddr
	Listen         *net.TCPAddr
	MetricsPort    int
	PrimaryCluster string
	ReadMode       string
}

// YAML renders the configuration file.
func (c Config) YAML() string {
	var b strings.Builder
	line := func(k string, v any) { fmt.Fprintf(&b, "%s: %v\n", k, v) }
	line("origin_contact_points", c.Origin.IP.String())
	line("origin_port", c.Origin.Port)
	line("target_contact_points", c.Target.IP.String())
	line("target_port", c.Target.Port)
	line("proxy_listen_address", c.Listen.IP.String())
	line("proxy_listen_port", c.Listen.Port)
	line("proxy_topology_addresses", c.Listen.IP.String())
	line("proxy_topology_index", 0)
	line("primary_cluster", c.PrimaryCluster)
	line("read_mode", c.ReadMode)
	line("metrics_address", "127.0.0.1")
	line("metrics_port", c.MetricsPort)
	// The admin API on the metrics listener: one port per proxy.
	line("admin_address", "127.0.0.1")
	line("admin_port", c.MetricsPort)
	return b.String()
}

// Write stores the configuration as dir/name and returns its path.
func (c Config) Write(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(c.YAML()), 0o600); err != nil {
		return "", fmt.Errorf("write proxy config %s: %w", p, err)
	}
	return p, nil
}

// FreePort returns a TCP port on ip that was free a moment ago.
func FreePort(ip string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port on %s: %w", ip, err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
