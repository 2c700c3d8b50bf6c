package proxy_test

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy/frame"
)

// Without a grace period (gocql, told by its control connection, would
// close its own connections under the held request a second later), the
// drain refuses new requests and waits for the one in flight.
func TestShutdownDrainsInFlight(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_PROXY_SHUTDOWN_GRACE_MS=0"}})
	s := e.session(t, func(c *gocql.ClusterConfig) { c.RetryPolicy = nil })
	raw := dialRaw(t, e.addr)
	raw.startup()
	release := make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	t.Cleanup(releaseOnce) // before the server's Close, which waits for the hook
	arrived := make(chan struct{}, 1)
	e.origin.SetHook(func(r cqltest.Received) cqltest.Action {
		if strings.HasPrefix(r.Query, "INSERT INTO ks.slow") && r.Opcode != 0x09 {
			select {
			case arrived <- struct{}{}:
			default:
			}
			<-release
		}
		return cqltest.Action{}
	})
	inflight := make(chan error, 1)
	go func() { inflight <- s.Query("INSERT INTO ks.slow (k) VALUES ('a')").Exec() }()
	// Wait for the write itself to reach Origin: the in-flight count alone
	// may be a driver's system query that finishes on its own.
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("the slow write never reached Origin")
	}
	waitFor(t, "the slow write to be in flight", func() bool { return e.srv.Stats().InFlightRequests >= 1 })

	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		shutdown <- e.srv.Shutdown(ctx)
	}()
	waitFor(t, "draining", func() bool { return e.srv.Stats().Draining })

	// A driver's heartbeat still succeeds: Java and Python drivers close a
	// connection whose heartbeat fails, under its requests in flight.
	raw.write(frame.New(4, 0, 8, frame.OpOptions, nil))
	if r := raw.read(); r.Opcode() != frame.OpSupported || r.Stream() != 8 {
		t.Fatalf("heartbeat during drain answered with %s on stream %d", frame.OpcodeName(r.Opcode()), r.Stream())
	}
	raw.write(frame.New(4, 0, 9, frame.OpQuery, queryBody("SELECT * FROM ks.t")))
	if r := raw.read(); r.Opcode() != frame.OpError || binary.BigEndian.Uint32(r.Body()) != 0x1002 {
		t.Fatalf("request during drain answered with %s, want IS_BOOTSTRAPPING", frame.OpcodeName(r.Opcode()))
	}

	err := s.Query("INSERT INTO ks.t (k) VALUES ('new')").Exec()
	var boot *gocql.RequestErrBootstrapping
	if !errors.As(err, &boot) || !strings.Contains(err.Error(), "shutting down") {
		t.Fatalf("new request during drain: err=%v, want IS_BOOTSTRAPPING 'shutting down'", err)
	}
	select {
	case err := <-shutdown:
		t.Fatalf("shutdown returned (%v) while a request was in flight", err)
	default:
	}
	releaseOnce()
	if err := <-inflight; err != nil {
		t.Fatalf("in-flight write failed during drain: %v", err)
	}
	if err := <-shutdown; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if len(e.target.Queries("INSERT INTO ks.slow")) != 1 {
		t.Fatal("drained write missing on target")
	}
}

func TestShutdownDeadline(t *testing.T) {
	e := newEnv(t, envOpts{})
	s := e.session(t, func(c *gocql.ClusterConfig) { c.RetryPolicy = nil })
	release := make(chan struct{})
	defer close(release)
	arrived := make(chan struct{}, 1)
	e.origin.SetHook(func(r cqltest.Received) cqltest.Action {
		if strings.HasPrefix(r.Query, "INSERT INTO ks.slow") && r.Opcode != 0x09 {
			select {
			case arrived <- struct{}{}:
			default:
			}
			<-release
		}
		return cqltest.Action{}
	})
	go s.Query("INSERT INTO ks.slow (k) VALUES ('a')").Exec()
	// Wait for the write itself to reach Origin: the in-flight count alone
	// may be a driver's system query that finishes on its own.
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("the slow write never reached Origin")
	}
	waitFor(t, "the slow write to be in flight", func() bool { return e.srv.Stats().InFlightRequests >= 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err == nil {
		t.Fatal("shutdown reported a clean drain although a request never finished")
	}
	if n := e.srv.Stats().ClientConnections; n != 0 {
		t.Fatalf("%d client connections left open after shutdown", n)
	}
}
