package proxy_test

import (
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/proxy/frame"
	"github.com/zdmctl/zdmctl/proxy/metrics"
)

// A request on a negative stream id is answered with PROTOCOL_ERROR and
// never reaches a cluster; the connection stays usable.
func TestNegativeStreamIsNotForwarded(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := dialRaw(t, e.addr)
	c.startup()
	for _, s := range []int16{-1, -7, -32768} {
		c.write(frame.New(4, 0, s, frame.OpQuery, queryBody("INSERT INTO ks.t (k) VALUES ('negative')")))
		f := c.read()
		if frame.ErrorCode(f) != frame.ErrCodeProtocol || f.Stream() != s {
			t.Fatalf("stream %d: got %s code %x stream %d, want PROTOCOL_ERROR on the same stream", s, frame.OpcodeName(f.Opcode()), frame.ErrorCode(f), f.Stream())
		}
	}
	if n := len(e.origin.Queries("negative")) + len(e.target.Queries("negative")); n != 0 {
		t.Fatalf("%d requests on negative streams reached a cluster", n)
	}
	c.write(frame.New(4, 0, 3, frame.OpQuery, queryBody("INSERT INTO ks.t (k) VALUES ('positive')")))
	if f := c.read(); f.Opcode() != frame.OpResult || f.Stream() != 3 {
		t.Fatalf("next request: %s on stream %d", frame.OpcodeName(f.Opcode()), f.Stream())
	}
	// Before login too.
	h := dialRaw(t, e.addr)
	h.write(frame.New(4, 0, -1, frame.OpOptions, nil))
	if f := h.read(); frame.ErrorCode(f) != frame.ErrCodeProtocol {
		t.Fatalf("OPTIONS on stream -1: %s code %x", frame.OpcodeName(f.Opcode()), frame.ErrorCode(f))
	}
	h.expectClosed()
}

// Before login a frame may declare at most 64 KiB; after it,
// proxy_max_frame_bytes applies.
func TestFrameLimitBeforeAndAfterLogin(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_PROXY_MAX_FRAME_BYTES=1048576"}})
	declare := func(stream int16, op byte, n uint32) []byte {
		h := frame.AppendHeader(nil, 4, 0, stream, op, 0)
		binary.BigEndian.PutUint32(h[5:], n)
		return h
	}
	pre := dialRaw(t, e.addr)
	pre.write(declare(5, frame.OpStartup, frame.HandshakeMaxBodyLen+1))
	if f := pre.read(); frame.ErrorCode(f) != frame.ErrCodeProtocol || f.Stream() != 5 {
		t.Fatalf("oversized STARTUP: %s code %x stream %d", frame.OpcodeName(f.Opcode()), frame.ErrorCode(f), f.Stream())
	}
	pre.expectClosed()

	// 200 KiB is refused before login, accepted after it.
	big := queryBody("INSERT INTO ks.t (k) VALUES ('" + strings.Repeat("x", 200<<10) + "')")
	post := dialRaw(t, e.addr)
	post.startup()
	post.write(frame.New(4, 0, 8, frame.OpQuery, big))
	if f := post.read(); f.Opcode() != frame.OpResult {
		t.Fatalf("200 KiB query after login: %s %s", frame.OpcodeName(f.Opcode()), frame.ErrorMessage(f))
	}
	post.write(declare(9, frame.OpQuery, 1048576))
	if f := post.read(); frame.ErrorCode(f) != frame.ErrCodeProtocol || f.Stream() != 9 {
		t.Fatalf("frame over proxy_max_frame_bytes: %s code %x", frame.OpcodeName(f.Opcode()), frame.ErrorCode(f))
	}
	post.expectClosed()
}

// Idle sockets that never send STARTUP live in their own budget: at its cap
// the oldest is closed, they never count against
// proxy_max_client_connections, and a real driver still gets in.
func TestIdleSocketsCannotLockOutDrivers(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{
		"ZDM_PROXY_MAX_CLIENT_CONNECTIONS=4", "ZDM_PROXY_MAX_HANDSHAKING_CONNECTIONS=8"}})
	var idle []net.Conn
	for i := 0; i < 40; i++ {
		nc, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		idle = append(idle, nc)
	}
	waitFor(t, "the handshake budget to fill", func() bool {
		st := e.srv.AdmissionStats()
		return st.Handshaking == 8 && st.HandshakeEvicted == 32
	})
	// The oldest idle socket was closed by the proxy.
	_ = idle[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle[0].Read(make([]byte, 1)); err == nil {
		t.Fatal("oldest idle socket still open")
	}
	s := e.session(t, nil) // control connection + pool: logs in despite the flood
	if err := s.Query("INSERT INTO ks.t (k) VALUES ('through the flood')").Exec(); err != nil {
		t.Fatal(err)
	}
	if st := e.srv.AdmissionStats(); st.Rejected != 0 || st.LoggedIn == 0 {
		t.Fatalf("stats %+v: want no rejection and logged-in clients", st)
	}
}

func TestHandshakeTimeoutClosesIdleSockets(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_PROXY_HANDSHAKE_TIMEOUT_MS=300"}})
	c := dialRaw(t, e.addr)
	c.expectClosed()
	waitFor(t, "the timeout to be counted", func() bool { return e.srv.AdmissionStats().HandshakeTimedOut == 1 })
	// A client that logged in is not subject to it.
	ok := dialRaw(t, e.addr)
	ok.startup()
	time.Sleep(500 * time.Millisecond)
	ok.write(frame.New(4, 0, 2, frame.OpQuery, queryBody("INSERT INTO ks.t (k) VALUES ('late')")))
	if f := ok.read(); f.Opcode() != frame.OpResult {
		t.Fatalf("query after the handshake timeout passed: %s", frame.OpcodeName(f.Opcode()))
	}
}

// Logins beyond proxy_max_client_connections are refused with OVERLOADED,
// even when they all got past accept while the cap was free.
func TestLoginCapCountsLoggedInOnly(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_PROXY_MAX_CLIENT_CONNECTIONS=2"}})
	var cs []*rawConn
	for i := 0; i < 3; i++ {
		cs = append(cs, dialRaw(t, e.addr)) // all three accepted: none logged in yet
	}
	cs[0].startup()
	cs[1].startup()
	body := frame.AppendStringMap(nil, []string{"CQL_VERSION"}, map[string]string{"CQL_VERSION": "3.0.0"})
	cs[2].write(frame.New(4, 0, 1, frame.OpStartup, body))
	if f := cs[2].read(); frame.ErrorCode(f) != frame.ErrCodeOverloaded {
		t.Fatalf("third login: %s code %x, want OVERLOADED", frame.OpcodeName(f.Opcode()), frame.ErrorCode(f))
	}
	cs[2].expectClosed()
	if st := e.srv.AdmissionStats(); st.LoggedIn != 2 || st.Rejected != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestAdmissionMetrics(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_PROXY_MAX_HANDSHAKING_CONNECTIONS=2"}})
	m := metrics.New(metrics.Options{NoRuntimeCollectors: true})
	g := e.srv.Gatherer(m)
	for i := 0; i < 5; i++ {
		nc, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
	}
	waitFor(t, "evictions", func() bool { return e.srv.AdmissionStats().HandshakeEvicted == 3 })
	for range 2 { // twice: counters are copied as deltas
		mfs, err := g.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, mf := range mfs {
			for _, met := range mf.GetMetric() {
				key := mf.GetName()
				for _, l := range met.GetLabel() {
					key += "/" + l.GetValue()
				}
				if met.GetCounter() != nil {
					got[key] = met.GetCounter().GetValue()
				} else if met.GetGauge() != nil {
					got[key] = met.GetGauge().GetValue()
				}
			}
		}
		if got["zdm_proxy_client_connections_rejected_total/handshake_evicted"] != 3 || got["zdm_proxy_handshaking_connections"] != 2 {
			t.Fatalf("metrics %v", got)
		}
	}
}

// Large frames being read share proxy_max_read_buffer_bytes: a client that
// would need more waits (backpressure), gets OVERLOADED after
// proxy_request_timeout_ms, and the budget comes back when the holder goes.
func TestReadBufferBudgetIsShared(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_PROXY_MAX_READ_BUFFER_BYTES=1048576", "ZDM_PROXY_REQUEST_TIMEOUT_MS=300"}})
	hog := dialRaw(t, e.addr)
	hog.startup()
	h := frame.AppendHeader(nil, 4, 0, 4, frame.OpQuery, 0)
	binary.BigEndian.PutUint32(h[5:], 8<<20)
	hog.write(append(h, make([]byte, 3<<20)...)) // alone: may exceed the budget
	waitFor(t, "the hog to hold the budget", func() bool { return e.srv.AdmissionStats().ReadBufferBytes > 1<<20 })

	big := queryBody("INSERT INTO ks.t (k) VALUES ('" + strings.Repeat("y", 512<<10) + "')")
	waiter := dialRaw(t, e.addr)
	waiter.startup()
	waiter.write(frame.New(4, 0, 6, frame.OpQuery, big))
	if f := waiter.read(); frame.ErrorCode(f) != frame.ErrCodeOverloaded || f.Stream() != 6 {
		t.Fatalf("query needing a spent budget: %s code %#x stream %d, want OVERLOADED on stream 6", frame.OpcodeName(f.Opcode()), frame.ErrorCode(f), f.Stream())
	}
	waiter.expectClosed()

	hog.nc.Close()
	waitFor(t, "the budget to come back", func() bool { return e.srv.AdmissionStats().ReadBufferBytes == 0 })
	ok := dialRaw(t, e.addr)
	ok.startup()
	ok.write(frame.New(4, 0, 7, frame.OpQuery, big))
	if f := ok.read(); f.Opcode() != frame.OpResult {
		t.Fatalf("512 KiB query with the budget free: %s %s", frame.OpcodeName(f.Opcode()), frame.ErrorMessage(f))
	}
}
