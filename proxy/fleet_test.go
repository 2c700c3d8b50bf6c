package proxy_test

import (
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/proxy"
)

// Two proxies presented as a two-node cluster: the driver discovers the
// second one through system.peers and sends requests to both.
func TestDriverSpreadsOverProxyFleet(t *testing.T) {
	e := newEnv(t, envOpts{})
	ln1, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln1.Addr().(*net.TCPAddr).Port
	ln2, err := net.Listen("tcp", "127.0.0.2:"+strconv.Itoa(port))
	if err != nil {
		t.Skipf("127.0.0.2 not usable here: %v", err)
	}
	var srvs []*proxy.Server
	for i, ln := range []net.Listener{ln1, ln2} {
		cfg := *e.cfg
		cfg.ListenPort = port
		cfg.TopologyAddresses = []string{"127.0.0.1", "127.0.0.2"}
		cfg.TopologyIndex = i
		if err := (&cfg).Validate(); err != nil {
			t.Fatal(err)
		}
		s := proxy.New(&cfg, proxy.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		go s.Serve(ln)
		t.Cleanup(s.Close)
		srvs = append(srvs, s)
	}
	cl := gocql.NewCluster("127.0.0.1")
	cl.Port = port
	cl.PoolConfig.HostSelectionPolicy = gocql.RoundRobinHostPolicy()
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 20; i++ {
		if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", "k", "v").Exec(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "client connections on both proxies", func() bool {
		return srvs[0].Stats().ClientConnections > 0 && srvs[1].Stats().ClientConnections > 0
	})
	if n := len(e.target.Queries("INSERT")); n != 20 {
		t.Fatalf("target got %d writes, want 20", n)
	}
}
