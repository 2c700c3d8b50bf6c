package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/internal/cqltest"
)

// TestDrainKeepsLivenessUntilCQLDrained holds a write in flight, starts the
// shutdown, and checks readiness fails at once while liveness keeps
// answering 200 until the write is answered; then the admin server stops.
func TestDrainKeepsLivenessUntilCQLDrained(t *testing.T) {
	origin := cqltest.Start(t, cqltest.Options{Name: "origin"})
	target := cqltest.Start(t, cqltest.Options{Name: "target"})
	port, _, r := startRunning(t, "ZDM_ORIGIN_CONTACT_POINTS=127.0.0.1", "ZDM_ORIGIN_PORT="+strconv.Itoa(origin.Port()),
		"ZDM_TARGET_CONTACT_POINTS=127.0.0.1", "ZDM_TARGET_PORT="+strconv.Itoa(target.Port()),
		"ZDM_PROXY_REQUEST_TIMEOUT_MS=60000")
	base := "http://" + r.admin.Addr()
	waitUntil(t, "ready", func() bool { code, _ := get(t, base+"/health/readiness"); return code == 200 })

	arrived, release := make(chan struct{}), make(chan struct{})
	var held, released sync.Once
	defer released.Do(func() { close(release) })
	target.SetHook(func(rc cqltest.Received) cqltest.Action {
		if strings.Contains(rc.Query, "'held'") && rc.Opcode != 0x09 {
			held.Do(func() { close(arrived); <-release })
		}
		return cqltest.Action{}
	})
	s, err := session(port, func(c *gocql.ClusterConfig) { c.RetryPolicy = nil; c.Timeout = time.Minute })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wrote := make(chan error, 1)
	go func() { wrote <- s.Query("INSERT INTO ks.t (k) VALUES ('held')").Exec() }()
	<-arrived

	stopped := make(chan error, 1)
	go func() { stopped <- r.shutdown(context.Background()) }()
	waitUntil(t, "readiness to fail while draining", func() bool {
		code, body := get(t, base+"/health/readiness")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "shutting down")
	})
	if code, body := get(t, base+"/health/liveness"); code != 200 {
		t.Fatalf("liveness during the drain = %d %q", code, body)
	}
	select {
	case err := <-stopped:
		t.Fatalf("shutdown returned (%v) with a write in flight", err)
	default:
	}

	released.Do(func() { close(release) })
	if err := <-wrote; err != nil {
		t.Fatalf("held write failed during the drain: %v", err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if resp, err := http.Get(base + "/health/liveness"); err == nil {
		resp.Body.Close()
		t.Fatal("admin server still answering after the drain ended")
	}
}
