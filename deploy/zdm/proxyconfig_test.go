package zdm

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zdmctl/zdmctl/proxy/config"
)

// The proxy loads what zdmctl renders, every key included, with the same
// values (the contract between the two halves).
func TestProxyAcceptsRenderedConfig(t *testing.T) {
	v := baseVars()
	for k, x := range map[string]any{
		"origin_port": 9042, "origin_username": "ou", "origin_local_datacenter": "dc1",
		"target_username": "tu", "target_password": "tp", "target_local_datacenter": "dc2",
		"primary_cluster": "TARGET", "read_mode": "DUAL_ASYNC_ON_SECONDARY", "log_level": "DEBUG", "system_queries_mode": "TARGET",
		"proxy_listen_address": "0.0.0.0", "proxy_listen_port": 9043, "proxy_request_timeout_ms": 5000,
		"proxy_max_client_connections": 50, "proxy_max_stream_ids": 1024, "proxy_max_prepared_statement_cache_size": 100,
		"proxy_async_read_queue_size": 10, "proxy_shutdown_timeout_ms": 100, "heartbeat_interval_ms": 1000,
		"metrics_address": "127.0.0.1", "metrics_port": 14002,
	} {
		v[k] = x
	}
	c, err := Render(v, Topology{Addresses: []string{"10.0.0.11", "10.0.0.12"}, Index: 1})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "zdm-proxy.yaml")
	if err := os.WriteFile(path, []byte(c.Text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load(path, nil)
	if err != nil {
		t.Fatalf("the proxy refuses the rendered config: %v\n%s", err, c.Text)
	}
	if cfg.ReadMode != "DUAL_ASYNC_ON_SECONDARY" || cfg.PrimaryCluster != "TARGET" || cfg.Origin.Password != `pa"ss` ||
		cfg.TopologyIndex != 1 || len(cfg.TopologyAddresses) != 2 || cfg.MaxStreamIDs != 1024 || cfg.MetricsPort != 14002 ||
		len(cfg.Origin.ContactPoints) != 2 || cfg.Target.Port != 9043 {
		t.Fatalf("loaded %+v", cfg)
	}
}
