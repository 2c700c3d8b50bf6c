package peernotice

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) announce(change, addr string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, change+" "+addr)
	return 1
}

func (e *events) list() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.got, ",")
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakePeer serves /health/peer/state from two flags.
type fakePeer struct {
	ready, draining atomic.Bool
	srv             *httptest.Server
}

func newFakePeer(t *testing.T) *fakePeer {
	p := &fakePeer{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(State{Ready: p.ready.Load(), Draining: p.draining.Load()})
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *fakePeer) addr() string { return strings.TrimPrefix(p.srv.URL, "http://") }

func TestPushedDrainAnnouncesDownOnce(t *testing.T) {
	var ev events
	n := New(Options{Self: "10.0.0.1:9042", Peers: []Peer{{CQL: "10.0.0.2:9042", HTTP: "10.0.0.2:14001"}}, Announce: ev.announce})
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()
	for range 2 {
		resp, err := http.Post(srv.URL+"/health/peer/draining?peer=10.0.0.2:9042", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %d", resp.StatusCode)
		}
	}
	if got := ev.list(); got != "DOWN 10.0.0.2:9042" {
		t.Fatalf("announced %q, want one DOWN", got)
	}
	// Only peers of the topology: anything else is refused, nothing sent.
	resp, err := http.Post(srv.URL+"/health/peer/draining?peer=10.9.9.9:9042", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || ev.list() != "DOWN 10.0.0.2:9042" {
		t.Fatalf("unknown peer: HTTP %d, announced %q", resp.StatusCode, ev.list())
	}
}

func TestPollAnnouncesDrainThenUpOnReady(t *testing.T) {
	var ev events
	p := newFakePeer(t)
	p.ready.Store(true)
	n := New(Options{Peers: []Peer{{CQL: "10.0.0.2:9042", HTTP: p.addr()}}, Announce: ev.announce, PollEvery: 20 * time.Millisecond})
	stop := make(chan struct{})
	defer close(stop)
	n.Run(stop)
	time.Sleep(100 * time.Millisecond)
	if got := ev.list(); got != "" {
		t.Fatalf("announced %q for a peer ready all along", got)
	}
	p.ready.Store(false)
	p.draining.Store(true)
	waitFor(t, "DOWN", func() bool { return ev.list() == "DOWN 10.0.0.2:9042" })
	p.draining.Store(false) // restarted, not ready yet
	time.Sleep(100 * time.Millisecond)
	if got := ev.list(); got != "DOWN 10.0.0.2:9042" {
		t.Fatalf("announced %q before the peer was ready", got)
	}
	p.ready.Store(true)
	waitFor(t, "UP", func() bool { return ev.list() == "DOWN 10.0.0.2:9042,UP 10.0.0.2:9042" })
}

// A peer whose metrics listener accepts but never answers costs Drain its
// timeout, not more.
func TestDrainBoundedByHungPeer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	n := New(Options{Self: "10.0.0.1:9042", Timeout: 200 * time.Millisecond,
		Peers: []Peer{{CQL: "10.0.0.2:9042", HTTP: ln.Addr().String()}, {CQL: "10.0.0.3:9042", HTTP: "127.0.0.1:1"}}})
	start := time.Now()
	acked := n.Drain(context.Background())
	took := time.Since(start)
	if acked != 0 {
		t.Fatalf("acked %d", acked)
	}
	if took > 5*time.Second {
		t.Fatalf("Drain took %s", took)
	}
	t.Logf("Drain with a hung and a refusing peer took %s (timeout 200ms)", took.Round(time.Millisecond))
}
