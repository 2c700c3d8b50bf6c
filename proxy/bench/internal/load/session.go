// Package load drives CQL traffic at a session with gocql v2, open-loop at a
// fixed rate or closed-loop at a fixed concurrency, and records latencies.
package load

import (
	"fmt"
	"net"
	"strconv"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// Connect opens a gocql session that talks to exactly one endpoint over one
// connection: no peer discovery, no events, no schema metadata. Direct and
// proxied runs use it alike so that they differ only in what sits behind the
// endpoint.
func Connect(addr *net.TCPAddr) (*gocql.Session, error) {
	host := addr.IP.String()
	cl := gocql.NewCluster(host)
	cl.Port = addr.Port
	cl.ProtoVersion = 4
	cl.NumConns = 1
	cl.Consistency = gocql.One
	cl.Timeout = 10 * time.Second
	cl.ConnectTimeout = 5 * time.Second
	cl.DisableInitialHostLookup = true
	cl.HostFilter = gocql.WhiteListHostFilter(host)
	cl.Events.DisableNodeStatusEvents = true
	cl.Events.DisableTopologyEvents = true
	cl.Events.DisableSchemaEvents = true
	cl.Metadata.CacheMode = gocql.Disabled
	cl.PoolConfig.HostSelectionPolicy = gocql.RoundRobinHostPolicy()
	cl.ReconnectionPolicy = &gocql.ConstantReconnectionPolicy{MaxRetries: 1, Interval: 100 * time.Millisecond}
	// Flush every request at once: coalescing would add up to its wait to
	// every latency and blur the difference we measure.
	cl.WriteCoalesceWaitTime = 0
	s, err := cl.CreateSession()
	if err != nil {
		return nil, fmt.Errorf("connect gocql to %s: %w", net.JoinHostPort(host, strconv.Itoa(addr.Port)), err)
	}
	return s, nil
}
