package proxy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/internal/cqltest"
)

func TestShutdownDrainsInFlight(t *testing.T) {
	e := newEnv(t, envOpts{})
	s := e.session(t, func(c *gocql.ClusterConfig) { c.RetryPolicy = nil })
	release := make(chan struct{})
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
	close(release)
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
