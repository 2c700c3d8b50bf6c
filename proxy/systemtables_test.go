package proxy_test

import (
	"math"
	"net"
	"strconv"
	"strings"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func TestSystemTablesPresentProxyFleet(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{
		"ZDM_PROXY_TOPOLOGY_ADDRESSES=127.0.0.1,127.0.0.2,127.0.0.3", "ZDM_PROXY_TOPOLOGY_INDEX=0"}})
	s := e.session(t, func(c *gocql.ClusterConfig) { c.DisableInitialHostLookup = true })

	var clusterName, dc string
	var rpc net.IP
	var tokens []string
	if err := s.Query("SELECT cluster_name, data_center, rpc_address, tokens FROM system.local WHERE key='local'").Scan(&clusterName, &dc, &rpc, &tokens); err != nil {
		t.Fatal(err)
	}
	if clusterName != "cluster-origin" || dc != "dc-origin" {
		t.Fatalf("cluster_name=%q data_center=%q, want Origin's", clusterName, dc)
	}
	if !rpc.Equal(net.ParseIP("127.0.0.1")) {
		t.Fatalf("rpc_address = %v, want this proxy", rpc)
	}
	var rpcPort int
	var truncated map[gocql.UUID][]byte
	if err := s.Query("SELECT rpc_port, truncated_at FROM system.local").Scan(&rpcPort, &truncated); err != nil {
		t.Fatal(err)
	}
	if _, port, _ := net.SplitHostPort(e.addr); strconv.Itoa(rpcPort) != port || len(truncated) != 1 {
		t.Fatalf("rpc_port=%d (proxy at %s), truncated_at=%v", rpcPort, e.addr, truncated)
	}
	all := map[string]int64{}
	all["127.0.0.1"] = mustToken(t, tokens)

	iter := s.Query("SELECT peer, rpc_address, tokens FROM system.peers").Iter()
	var peer net.IP
	for iter.Scan(&peer, &rpc, &tokens) {
		all[peer.String()] = mustToken(t, tokens)
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("fleet seen = %v, want 3 proxies", all)
	}
	step := int64(math.MaxUint64 / 3)
	if all["127.0.0.2"]-all["127.0.0.1"] < step-2 || all["127.0.0.3"]-all["127.0.0.2"] < step-2 {
		t.Fatalf("tokens not spread evenly: %v", all)
	}
	if len(e.origin.Queries("system.peers")) != 0 {
		t.Fatal("system.peers was forwarded to origin")
	}

	err := s.Query("SELECT * FROM system.peers_v2").Exec()
	if err == nil || !strings.Contains(err.Error(), "unconfigured table peers_v2") {
		t.Fatalf("peers_v2: %v", err)
	}

	// Other system tables go to Origin only.
	_ = s.Query("SELECT * FROM system_schema.keyspaces").Exec()
	if len(e.origin.Queries("FROM system_schema.keyspaces")) == 0 || len(e.target.Queries("FROM system_schema.keyspaces")) != 0 {
		t.Fatal("system_schema read not routed to origin only")
	}
}

func mustToken(t *testing.T, tokens []string) int64 {
	t.Helper()
	if len(tokens) != 1 {
		t.Fatalf("tokens = %v, want one", tokens)
	}
	n, err := strconv.ParseInt(tokens[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
