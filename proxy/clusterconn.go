package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zdmctl/zdmctl/proxy/frame"
	"github.com/zdmctl/zdmctl/proxy/sockio"
)

// responder receives the response to a request sent on a cluster stream.
// f is nil when the cluster connection broke before an answer came.
type responder interface {
	onResponse(c Cluster, f frame.Frame)
}

// errClusterConnLost is the cause given to requests whose connection broke.
var errClusterConnLost = errors.New("cluster connection lost")

// clusterConn is the proxy's connection to one cluster on behalf of one
// client connection. Client stream ids are mapped onto its own stream ids.
type clusterConn struct {
	srv     *Server
	cluster Cluster
	addr    string
	conn    net.Conn
	r       *frame.Reader
	w       *frame.Writer
	proto   byte

	mu     sync.Mutex
	slots  []responder // by stream id (grown on demand up to maxIDs); nil = free
	free   []int16     // released ids, reused first
	maxIDs int
	inUse  int
	closed bool
	dead   atomic.Bool // closed, read without the lock (secondaryconn.go)

	owner    *clientConn
	lastSend atomic.Int64 // unix nanos of the last frame queued
	hbOut    atomic.Bool  // a heartbeat is in flight
	started  bool
}

func (s *Server) dialCluster(ctx context.Context, c Cluster) (*clusterConn, error) {
	addrs := s.addrs[c]
	if len(addrs) == 0 {
		return nil, fmt.Errorf("no contact points for %s", c)
	}
	start := int(s.dialRR[c].Add(1))
	var lastErr error
	for i := range addrs {
		addr := addrs[(start+i)%len(addrs)]
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		conn, err := s.dial(dctx, c, addr)
		cancel()
		if err != nil {
			lastErr = err
			continue
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		n := s.cfg.MaxStreamIDs
		rw := sockio.Wrap(conn)
		cc := &clusterConn{srv: s, cluster: c, addr: addr, conn: conn,
			r: frame.NewReader(rw, 16<<10), w: frame.NewWriter(rw),
			slots: make([]responder, 0, min(n, 64)), maxIDs: n}
		return cc, nil
	}
	return nil, fmt.Errorf("connect to %s (%v): %w", c, addrs, lastErr)
}

// roundTrip is used during the handshake only: write f, read one frame.
func (cc *clusterConn) roundTrip(f frame.Frame, timeout time.Duration) (frame.Frame, error) {
	_ = cc.conn.SetDeadline(time.Now().Add(timeout))
	defer cc.conn.SetDeadline(time.Time{})
	out := []byte(f)
	if cc.r.Segmented() {
		out = frame.AppendSegments(nil, f, nil)
	}
	if _, err := cc.conn.Write(out); err != nil {
		return nil, fmt.Errorf("write to %s %s: %w", cc.cluster, cc.addr, err)
	}
	resp, err := cc.r.ReadFrame()
	if err != nil {
		return nil, fmt.Errorf("read from %s %s: %w", cc.cluster, cc.addr, err)
	}
	if v5 := f.Version() >= 5; v5 && (resp.Opcode() == frame.OpReady || resp.Opcode() == frame.OpAuthenticate) {
		cc.r.SetSegmented(true)
	}
	return resp, nil
}

// start launches the reader and writer after a successful handshake.
func (cc *clusterConn) start(owner *clientConn) {
	cc.owner = owner
	cc.proto = owner.version
	cc.started = true
	cc.w.Configure(cc.r.Segmented(), nil)
	cc.lastSend.Store(time.Now().UnixNano())
	cc.w.OnError(func(err error) { go cc.fail(err) })
	go cc.readLoop()
	cc.srv.registerClusterConn(cc, true)
}

// acquire reserves a stream id for r. ok is false when none is free.
func (cc *clusterConn) acquire(r responder) (int16, bool) {
	cc.mu.Lock()
	var id int16
	switch {
	case cc.closed:
		cc.mu.Unlock()
		return 0, false
	case len(cc.free) > 0:
		id = cc.free[len(cc.free)-1]
		cc.free = cc.free[:len(cc.free)-1]
	case len(cc.slots) < cc.maxIDs:
		id = int16(len(cc.slots))
		cc.slots = append(cc.slots, nil)
	default:
		cc.mu.Unlock()
		return 0, false
	}
	cc.slots[id] = r
	cc.inUse++
	cc.mu.Unlock()
	return id, true
}

// release frees an acquired id whose request was never sent.
func (cc *clusterConn) release(id int16) {
	cc.mu.Lock()
	if cc.slots[id] != nil {
		cc.slots[id] = nil
		cc.free = append(cc.free, id)
		cc.inUse--
	}
	cc.mu.Unlock()
}

// inFlight is the number of reserved stream ids.
func (cc *clusterConn) inFlight() int {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.inUse
}

// send queues f and writes it now.
func (cc *clusterConn) send(f frame.Frame, stream int16) error {
	cc.lastSend.Store(time.Now().UnixNano())
	return cc.w.Send(f, stream)
}

// sendFunc queues a frame built by fn; the caller flushes.
func (cc *clusterConn) sendFunc(fn func([]byte) []byte) error {
	cc.lastSend.Store(time.Now().UnixNano())
	return cc.w.EnqueueFunc(fn)
}

func (cc *clusterConn) readLoop() {
	defer func() {
		if p := recover(); p != nil {
			cc.srv.log.Error("panic in cluster connection", "cluster", cc.cluster.String(), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			cc.fail(fmt.Errorf("internal error: %v", p))
		}
	}()
	for {
		f, err := cc.r.ReadFrame()
		if err != nil {
			cc.fail(fmt.Errorf("read from %s %s: %w", cc.cluster, cc.addr, err))
			return
		}
		s := f.Stream()
		if s < 0 {
			if f.Opcode() == frame.OpEvent && cc.owner != nil {
				cc.owner.onEvent(cc.cluster, f)
				_ = cc.owner.w.Flush()
			}
			continue
		}
		var r responder
		cc.mu.Lock()
		if int(s) < len(cc.slots) && cc.slots[s] != nil {
			r = cc.slots[s]
			cc.slots[s] = nil
			cc.free = append(cc.free, s)
			cc.inUse--
		}
		cc.mu.Unlock()
		if r != nil {
			r.onResponse(cc.cluster, f)
		}
		if cc.owner != nil && cc.owner.hasWaiting.Load() {
			cc.owner.drainWaiting()
		}
		if !cc.r.HasBufferedFrame() && cc.owner != nil {
			_ = cc.owner.w.Flush()
		}
	}
}

// markClosed marks the connection closed, takes every in-flight request off
// it and unregisters it; ok is false when it was already closed. The caller
// closes the sockets and answers the returned requests.
func (cc *clusterConn) markClosed() (pending []responder, ok bool) {
	cc.mu.Lock()
	if cc.closed {
		cc.mu.Unlock()
		return nil, false
	}
	cc.closed = true
	cc.dead.Store(true)
	for i, r := range cc.slots {
		if r != nil {
			pending = append(pending, r)
			cc.slots[i] = nil
			cc.inUse--
		}
	}
	cc.mu.Unlock()
	cc.srv.registerClusterConn(cc, false)
	return pending, true
}

// fail closes the connection, answers every in-flight request with an error
// and closes the owning client connection so the driver reconnects (except
// for an asynchronous secondary, which reconnects itself: secondaryconn.go).
func (cc *clusterConn) fail(err error) {
	pending, ok := cc.markClosed()
	if !ok {
		return
	}
	_ = cc.conn.Close()
	_ = cc.w.Close()
	for _, r := range pending {
		r.onResponse(cc.cluster, nil)
	}
	if cc.owner != nil && !cc.owner.secondaryLost(cc, err) {
		cc.owner.closeWith(fmt.Errorf("%s connection failed: %w", cc.cluster, err))
	}
}

// close shuts the connection down without failing the owner.
func (cc *clusterConn) close() {
	pending, ok := cc.markClosed()
	if !ok {
		return
	}
	_ = cc.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_ = cc.w.Close()
	_ = cc.conn.Close()
	for _, r := range pending {
		r.onResponse(cc.cluster, nil)
	}
}

func (cc *clusterConn) version() byte { return cc.proto }
