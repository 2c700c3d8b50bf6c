package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy/admin"
)

// syncBuffer is a bytes.Buffer safe for a process's stderr and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSIGHUPReloadUnderLoad runs the built binary, keeps a gocql session
// busy, and switches read_mode and primary_cluster with SIGHUP: no request
// fails and no connection is reopened; immutable changes are reported, an
// invalid file is rejected.
func TestSIGHUPReloadUnderLoad(t *testing.T) {
	origin := cqltest.Start(t, cqltest.Options{Name: "origin"})
	target := cqltest.Start(t, cqltest.Options{Name: "target"})
	port, mport, aport := freePort(t), freePort(t), freePort(t)
	base := fmt.Sprintf("origin_contact_points: 127.0.0.1\norigin_port: %d\ntarget_contact_points: 127.0.0.1\ntarget_port: %d\n"+
		"proxy_listen_address: 127.0.0.1\nproxy_listen_port: %d\nmetrics_address: 127.0.0.1\nmetrics_port: %d\n"+
		"admin_address: 127.0.0.1\nadmin_port: %d\ntarget_password: hunter2-secret\n",
		origin.Port(), target.Port(), port, mport, aport)
	path := filepath.Join(t.TempDir(), "zdm.yaml")
	write := func(s string) []byte {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return []byte(s)
	}
	first := write(base)
	cmd, logs := runProxy(t, path)
	adminURL := fmt.Sprintf("http://127.0.0.1:%d", aport)
	status := func() admin.Status {
		t.Helper()
		st, err := admin.GetStatus(context.Background(), http.DefaultClient, adminURL)
		if err != nil {
			t.Fatalf("status: %v\n%s", err, logs.String())
		}
		return st
	}

	s := connect(t, port, logs, nil)

	st := status()
	if st.ConfigSHA256 != sha(first) || st.ReadMode != "PRIMARY_ONLY" || st.PrimaryCluster != "ORIGIN" || st.RestartPending {
		t.Fatalf("initial status %+v", st)
	}
	if st.Config["target_password"] == "hunter2-secret" {
		t.Fatal("status shows the password")
	}

	startups := origin.Startups() + target.Startups()
	var ops, failures atomic.Int64
	var lastErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, q := range []string{"INSERT INTO ks.load (k) VALUES ('a')", "SELECT * FROM ks.load"} {
				if err := s.Query(q).Exec(); err != nil {
					failures.Add(1)
					lastErr.Store(err.Error())
				}
				ops.Add(1)
			}
		}
	}()
	waitUntil(t, "load running", func() bool { return ops.Load() > 50 })
	if n := len(target.Queries("SELECT * FROM ks.load")); n != 0 {
		t.Fatalf("target served %d reads before the switch", n)
	}

	// Mutable keys: applied without restart.
	second := write(base + "primary_cluster: TARGET\nread_mode: DUAL_ASYNC_ON_SECONDARY\nlog_level: DEBUG\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "reload applied", func() bool { return status().PrimaryCluster == "TARGET" })
	st = status()
	if st.ReadMode != "DUAL_ASYNC_ON_SECONDARY" || st.ConfigSHA256 != sha(second) || st.RestartPending {
		t.Fatalf("after reload: %+v", st)
	}
	// Reads now reach Target (primary) and Origin (async replay).
	n0 := ops.Load()
	waitUntil(t, "reads on target", func() bool {
		return len(target.Queries("SELECT * FROM ks.load")) > 20 && ops.Load() > n0+50
	})

	// Immutable key: reported, not applied; the proxy keeps working.
	third := write(base + "primary_cluster: TARGET\nread_mode: DUAL_ASYNC_ON_SECONDARY\nproxy_max_stream_ids: 100\n")
	cmd.Process.Signal(syscall.SIGHUP)
	waitUntil(t, "restart pending", func() bool { return status().RestartPending })
	st = status()
	if st.ConfigSHA256 != sha(third) || len(st.ChangedImmutableKeys) != 1 || st.ChangedImmutableKeys[0] != "proxy_max_stream_ids" {
		t.Fatalf("immutable change: %+v", st)
	}

	// Invalid file: rejected as a whole.
	write(base + "primary_cluster: ORIGIN\nread_mode: SOMETIMES\n")
	cmd.Process.Signal(syscall.SIGHUP)
	waitUntil(t, "rejection logged", func() bool { return strings.Contains(logs.String(), "config reload rejected") })
	if st = status(); st.PrimaryCluster != "TARGET" || st.ConfigSHA256 != sha(third) {
		t.Fatalf("invalid config was applied: %+v", st)
	}
	n0 = ops.Load()
	waitUntil(t, "more load", func() bool { return ops.Load() > n0+50 })
	close(stop)
	wg.Wait()

	if f := failures.Load(); f != 0 {
		t.Fatalf("%d of %d requests failed during reloads, last: %v", f, ops.Load(), lastErr.Load())
	}
	if got := origin.Startups() + target.Startups(); got != startups {
		t.Fatalf("STARTUPs went from %d to %d: connections were reopened", startups, got)
	}
	if strings.Contains(logs.String(), "hunter2-secret") {
		t.Fatal("password in logs")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
}
