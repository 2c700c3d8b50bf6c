package proxy

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/connbudget"
	"github.com/zdmctl/zdmctl/proxy/frame"
	"github.com/zdmctl/zdmctl/proxy/metrics"
)

// admission keeps connections that have not logged in apart from those
// that have: handshaking ones live in a budget of their own
// (proxy_max_handshaking_connections, oldest evicted first, each for at
// most proxy_handshake_timeout_ms), and only logged-in ones count against
// proxy_max_client_connections. Idle or hostile sockets therefore cannot
// take the slots of real drivers.
type admission struct {
	budget      *connbudget.Budget
	bytes       *connbudget.Bytes // proxy_max_read_buffer_bytes, shared by all client readers
	timeout     time.Duration
	maxBody     int          // body limit after login (proxy_max_frame_bytes minus the header)
	ready       atomic.Int64 // logged-in client connections
	timeouts    atomic.Int64 // handshakes closed by proxy_handshake_timeout_ms
	rejectLog   *connbudget.Summary
	evictLog    *connbudget.Summary
	timeoutLog  *connbudget.Summary
	overfullLog *connbudget.Summary
	failedLog   *connbudget.Summary // other handshakes that failed (garbage, EOF, protocol errors)

	seenMu sync.Mutex
	seen   map[string]int64 // counters already copied into the metrics
}

// summaryInterval bounds the admission log lines to one per interval and
// kind, each with a count.
const summaryInterval = time.Second

func (a *admission) init(cfg *config.Config, log *slog.Logger, closed <-chan struct{}) {
	a.budget = connbudget.New(cfg.MaxHandshakingConns)
	a.seen = map[string]int64{}
	readBuf := int64(cfg.MaxReadBufferBytes)
	if readBuf <= 0 {
		readBuf = 1 << 30
	}
	wait := time.Duration(cfg.RequestTimeoutMs) * time.Millisecond
	if wait <= 0 {
		wait = 10 * time.Second
	}
	a.bytes = connbudget.NewBytes(readBuf, wait)
	a.timeout = time.Duration(cfg.HandshakeTimeoutMs) * time.Millisecond
	if a.timeout <= 0 {
		a.timeout = handshakeTimeout
	}
	a.maxBody = cfg.MaxFrameBytes - frame.HeaderLen
	if cfg.MaxFrameBytes <= 0 {
		a.maxBody = frame.MaxBodyLen
	}
	a.rejectLog = connbudget.NewSummary(log, "rejected client connections: proxy_max_client_connections reached", summaryInterval).Until(closed)
	a.evictLog = connbudget.NewSummary(log, "closed handshaking client connections to admit newer ones: proxy_max_handshaking_connections reached", summaryInterval).Until(closed)
	a.timeoutLog = connbudget.NewSummary(log, "closed client connections that did not finish the handshake within proxy_handshake_timeout_ms", summaryInterval).Until(closed)
	a.overfullLog = connbudget.NewSummary(log, "refused logins: proxy_max_client_connections reached", summaryInterval).Until(closed)
	a.failedLog = connbudget.NewSummaryAt(log, slog.LevelInfo, "client connections closed before login", summaryInterval).Until(closed)
}

// admitAccepted reports whether a freshly accepted connection may start
// its handshake: only logged-in clients count against the cap.
func (s *Server) admitAccepted(remote string) bool {
	maxConns := s.Settings().MaxClientConns
	if int(s.adm.ready.Load()) < maxConns {
		return true
	}
	s.rejected.Add(1)
	s.adm.rejectLog.Add("max", maxConns, "last_client", remote)
	return false
}

// enterHandshake admits cc to the handshake budget (evicting the oldest
// handshaking connection when it is full) and starts its handshake clock.
func (cc *clientConn) enterHandshake() {
	a := &cc.srv.adm
	cc.r.SetMaxBodyLen(frame.HandshakeMaxBodyLen)
	cc.r.SetBudget(a.bytes)
	cc.hsDeadline = time.Now().Add(a.timeout)
	conn, remote := cc.conn, cc.conn.RemoteAddr().String()
	cc.ticket = a.budget.Admit(func() {
		a.evictLog.Add("max", a.budget.Max(), "last_client", remote)
		_ = conn.Close()
	})
}

// promote moves cc from the handshake budget to the logged-in clients,
// refusing the login (OVERLOADED) when proxy_max_client_connections are
// already logged in. Called before READY or AUTH_SUCCESS is sent.
func (cc *clientConn) promote(stream int16) error {
	a := &cc.srv.adm
	maxConns := cc.srv.Settings().MaxClientConns
	if n := a.ready.Add(1); int(n) > maxConns {
		a.ready.Add(-1)
		cc.srv.rejected.Add(1)
		a.overfullLog.Add("max", maxConns, "last_client", cc.conn.RemoteAddr().String())
		return cc.fail(stream, frame.ErrCodeOverloaded, "zdm-proxy: proxy_max_client_connections reached")
	}
	cc.promoted = true
	cc.ticket.Release()
	cc.r.SetMaxBodyLen(a.maxBody)
	return nil
}

// leaveAdmission releases whatever cc holds (on close).
func (cc *clientConn) leaveAdmission() {
	cc.ticket.Release()
	if cc.promoted {
		cc.promoted = false
		cc.srv.adm.ready.Add(-1)
	}
}

// quietHandshakeEnd summarizes a failed handshake instead of logging it:
// anyone can open connections that fail before login, and each must not
// cost a log line. Evictions are summarized by Admit; timeouts are counted.
// A client refused for a reason worth reading one by one (bad credentials,
// an unreachable cluster) was already logged where it happened.
func (cc *clientConn) quietHandshakeEnd(err error) {
	a := &cc.srv.adm
	switch {
	case cc.ticket.Evicted():
	case errors.Is(err, os.ErrDeadlineExceeded):
		a.timeouts.Add(1)
		a.timeoutLog.Add("timeout", a.timeout.String(), "last_client", cc.conn.RemoteAddr().String())
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, ErrServerClosed):
	default:
		a.failedLog.Add("last_client", cc.conn.RemoteAddr().String(), "last_reason", err.Error())
	}
}

// AdmissionStats are the handshake budget's counters.
type AdmissionStats struct {
	Handshaking       int   // connections handshaking now
	LoggedIn          int64 // logged-in client connections
	HandshakeEvicted  int64 // closed to admit newer handshakes
	HandshakeTimedOut int64 // closed by proxy_handshake_timeout_ms
	Rejected          int64 // refused by proxy_max_client_connections (at accept or login)
	ReadBufferBytes   int64 // held for large frames being read (proxy_max_read_buffer_bytes)
}

// AdmissionStats returns the handshake budget's counters.
func (s *Server) AdmissionStats() AdmissionStats {
	return AdmissionStats{
		Handshaking:       s.adm.budget.Len(),
		LoggedIn:          s.adm.ready.Load(),
		HandshakeEvicted:  s.adm.budget.Evictions(),
		HandshakeTimedOut: s.adm.timeouts.Load(),
		Rejected:          s.rejected.Load(),
		ReadBufferBytes:   s.adm.bytes.Used(),
	}
}

// gatherAdmission copies the admission counters into m (at scrape time).
func (s *Server) gatherAdmission(m *metrics.Metrics) {
	st := s.AdmissionStats()
	a := m.Admission
	a.Handshaking.Set(float64(st.Handshaking))
	a.ReadBuffer.Set(float64(st.ReadBufferBytes))
	s.adm.seenMu.Lock()
	defer s.adm.seenMu.Unlock()
	for reason, n := range map[string]int64{
		metrics.RejectMaxClientConnections: st.Rejected,
		metrics.RejectHandshakeEvicted:     st.HandshakeEvicted,
		metrics.RejectHandshakeTimeout:     st.HandshakeTimedOut,
	} {
		if d := n - s.adm.seen[reason]; d > 0 {
			a.Rejected[reason].Add(float64(d))
		}
		s.adm.seen[reason] = n
	}
}
