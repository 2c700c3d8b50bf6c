package proxy

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zdmctl/zdmctl/proxy/connbudget"
	"github.com/zdmctl/zdmctl/proxy/frame"
	"github.com/zdmctl/zdmctl/proxy/sockio"
)

// clientConn is one driver connection and its two cluster connections.
type clientConn struct {
	srv      *Server
	conn     net.Conn
	r        *frame.Reader
	w        *frame.Writer
	version  byte
	reqFlags byte // FlagBeta when the client uses a beta protocol version
	comp     frame.Compressor
	clusters [2]atomic.Pointer[clusterConn] // cl(c); the secondary's is replaced on reconnect (secondaryconn.go)
	log      *slog.Logger

	supported  []byte // SUPPORTED body (intersection of both clusters)
	keyspace   atomic.Pointer[string]
	inflight   atomic.Int64
	registered atomic.Bool // client asked for SCHEMA_CHANGE events
	// statusEvents: client asked for STATUS_CHANGE events (only the
	// proxy's own DOWN on shutdown is sent; clusters' are not forwarded)
	statusEvents atomic.Bool
	writerUp     atomic.Bool // set by ready(); read by closeWith from any goroutine (Server.Close)

	waitMu     sync.Mutex
	waiting    []waitingSend // requests waiting for a free stream id
	hasWaiting atomic.Bool

	// secondaryconn.go: the STARTUP sent to the clusters (to reconnect the
	// secondary), whether it is counted as disconnected, and whether a
	// reconnect loop runs.
	startupMsg   frame.Frame
	secDown      atomic.Bool
	reconnecting atomic.Bool
	// secToken: the credentials of a client admitted while the secondary
	// that checks them was down, until it is back (secondaryauth.go).
	secToken atomic.Pointer[[]byte]

	bgFlush [2]atomic.Pointer[chan struct{}] // secondary flusher (DUAL_ASYNC_ON_SECONDARY): asyncwrite.go

	closeOnce sync.Once
	closed    chan struct{}

	// admission.go: the handshake budget slot, then the logged-in slot.
	ticket     *connbudget.Ticket
	hsDeadline time.Time
	promoted   bool
	// clusterMu orders the handshake's setting of clusters against a
	// closeWith from another goroutine (Server.Close mid-handshake).
	clusterMu sync.Mutex
}

// setCluster records a cluster connection opened during the handshake, or
// closes it and reports false when the client connection is already closed.
func (cc *clientConn) setCluster(c Cluster, conn *clusterConn) bool {
	return cc.setClusterUnless(c, conn, nil)
}

// setClusterUnless is setCluster, also refusing (closing conn) once
// *abandoned is set: the handshake went on without cluster c.
func (cc *clientConn) setClusterUnless(c Cluster, conn *clusterConn, abandoned *atomic.Bool) bool {
	cc.clusterMu.Lock()
	defer cc.clusterMu.Unlock()
	if isClosed(cc.closed) || abandoned != nil && abandoned.Load() {
		conn.close()
		return false
	}
	cc.clusters[c].Store(conn)
	return true
}

// cl is the current connection to cluster c (a down placeholder while the
// secondary is disconnected in DUAL_ASYNC_ON_SECONDARY: secondaryconn.go).
func (cc *clientConn) cl(c Cluster) *clusterConn { return cc.clusters[c].Load() }

func (s *Server) startClient(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	rw := sockio.Wrap(conn)
	cc := &clientConn{srv: s, conn: conn, r: frame.NewReader(rw, 16<<10), w: frame.NewWriter(rw),
		closed: make(chan struct{}),
		log:    s.log.With("client", conn.RemoteAddr().String())}
	cc.r.Requests = true
	cc.enterHandshake()
	s.mu.Lock()
	if isClosed(s.closed) {
		s.mu.Unlock()
		cc.ticket.Release()
		conn.Close()
		return
	}
	s.clients[cc] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	s.clientCount.Add(1)
	go cc.run()
}

func (cc *clientConn) run() {
	defer cc.srv.wg.Done()
	defer cc.r.ReleaseBudget() // the reader's own goroutine: admission.go
	defer func() {
		if p := recover(); p != nil { // a bug must cost one connection, not the proxy
			cc.log.Error("panic in client connection", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			cc.closeWith(fmt.Errorf("internal error: %v", p))
		}
	}()
	if err := cc.handshake(); err != nil {
		cc.quietHandshakeEnd(err) // summarized, not logged per connection: admission.go
		cc.closeWith(nil)
		return
	}
	cc.log.Debug("client connection ready", "version", cc.version, "origin", cc.cl(Origin).addr, "target", cc.cl(Target).addr)
	for {
		f, err := cc.r.ReadFrame()
		if err != nil {
			var pe *frame.ProtocolError
			var be *frame.BudgetError
			if errors.As(err, &pe) && pe.HasStream {
				cc.reply(frame.ErrorFrame(cc.version, pe.Stream, frame.ErrCodeProtocol, pe.Msg), pe.Stream)
			} else if errors.As(err, &be) {
				cc.reply(frame.ErrorFrame(cc.version, be.Stream, frame.ErrCodeOverloaded, "zdm-proxy: "+be.Err.Error()), be.Stream)
			}
			cc.closeWith(err)
			return
		}
		if f.Version() != cc.version {
			cc.reply(frame.ErrorFrame(cc.version, f.Stream(), frame.ErrCodeProtocol, "protocol version changed mid-connection"), f.Stream())
			cc.closeWith(errors.New("protocol version changed mid-connection"))
			return
		}
		if f.Stream() < 0 {
			// Negative ids belong to the server (-1 carries events): never
			// forward a request on one.
			cc.reply(frame.ErrorFrame(cc.version, f.Stream(), frame.ErrCodeProtocol, negativeStreamMsg), f.Stream())
		} else {
			cc.handle(f)
		}
		if cc.hasWaiting.Load() {
			cc.pauseWhileQueued() // backpressure.go
		}
		if !cc.r.HasBufferedFrame() {
			cc.flush()
		}
	}
}

// flush writes what this connection queued for the clusters and the client.
func (cc *clientConn) flush() {
	cc.flushCluster(Origin)
	cc.flushCluster(Target)
	_ = cc.w.Flush()
}

// reply queues a response frame for the client with the given stream id.
func (cc *clientConn) reply(f frame.Frame, stream int16) {
	if !cc.writerUp.Load() {
		_ = cc.writeDirect(f, stream)
		return
	}
	_ = cc.w.Enqueue(f, stream)
}

// closeWith closes the client connection and its cluster connections,
// flushing responses already queued.
func (cc *clientConn) closeWith(err error) {
	cc.closeOnce.Do(func() {
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			cc.log.Info("closing client connection", "reason", err.Error())
		}
		close(cc.closed)
		if cc.writerUp.Load() {
			_ = cc.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
			_ = cc.w.Close()
		}
		_ = cc.conn.Close()
		cc.clusterMu.Lock()
		clusters := [2]*clusterConn{cc.cl(Origin), cc.cl(Target)}
		cc.clusterMu.Unlock()
		cc.secondaryUp() // no longer counted as disconnected
		for _, c := range clusters {
			if c != nil {
				c.close()
			}
		}
		cc.abandonWaiting()
		cc.leaveAdmission()
		cc.srv.mu.Lock()
		delete(cc.srv.clients, cc)
		cc.srv.mu.Unlock()
		cc.srv.clientCount.Add(-1)
	})
}

func (cc *clientConn) onEvent(c Cluster, f frame.Frame) {
	if c != Origin || !cc.registered.Load() {
		return
	}
	m, err := frame.ResponseMessage(f)
	if err != nil {
		return
	}
	cur := frame.Cursor{B: m}
	if cur.Str() == "SCHEMA_CHANGE" {
		cc.reply(f, -1)
	}
}

func (cc *clientConn) trackKeyspace(f frame.Frame) {
	m, err := frame.ResponseMessage(f)
	if err != nil {
		return
	}
	cur := frame.Cursor{B: m}
	if cur.Int() == 3 { // SetKeyspace
		ks := cur.Str()
		if cur.Err == nil {
			cc.keyspace.Store(&ks)
		}
	}
}

func (cc *clientConn) currentKeyspace() string {
	if p := cc.keyspace.Load(); p != nil {
		return *p
	}
	return ""
}
