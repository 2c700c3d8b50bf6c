package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/journal"
	"github.com/zdmctl/zdmctl/proxy/peernotice"
)

// DialFunc opens a connection to a cluster node (addr is host:port). Replace
// it to add TLS.
type DialFunc func(ctx context.Context, c Cluster, addr string) (net.Conn, error)

// Options configure a Server beyond the config file.
type Options struct {
	Dial   DialFunc     // default: plain TCP
	Hooks  *Hooks       // default: no-op
	Logger *slog.Logger // default: slog.Default()
	// Journal receives the writes the secondary missed in
	// DUAL_ASYNC_ON_SECONDARY (nil: they are only counted).
	Journal *journal.Set
}

// Server is the proxy. Create with New, run with Serve or ListenAndServe.
type Server struct {
	cfg      *config.Config
	settings atomic.Pointer[Settings]
	dial     DialFunc
	hooks    Hooks
	log      *slog.Logger
	addrs    [2][]string
	dialRR   [2]atomic.Uint32
	ps       *psCache

	mu        sync.Mutex
	listeners []net.Listener
	clients   map[*clientConn]struct{}
	cluster   map[*clusterConn]struct{}
	stopping  atomic.Bool // Shutdown began: listeners closed, no new client
	draining  atomic.Bool // new requests are refused (IS_BOOTSTRAPPING)
	closed    chan struct{}
	closeOnce sync.Once
	hbOnce    sync.Once
	wg        sync.WaitGroup

	clientCount   atomic.Int64
	inflight      atomic.Int64
	asyncInFlight atomic.Int64
	asyncDropped  atomic.Int64
	rejected      atomic.Int64
	health        [2]clusterHealth
	control       [2]controlState    // control connections: control.go
	now           *nowState          // replace_cql_functions (nil: off): nowrewrite.go
	psMiss        atomic.Int64       // EXECUTE/BATCH ids not in the prepared cache
	logValues     atomic.Bool        // log_mismatch_values: mismatchvalues.go
	adm           admission          // handshake budget and login cap: admission.go
	secondary     secondaryWrites    // DUAL_ASYNC_ON_SECONDARY: asyncwrite.go
	peers         *peernotice.Notice // nil without peers: peerwatch.go
	// secondaryauth.go: credentials each cluster accepted, the
	// AUTHENTICATE body it last answered STARTUP with (nil: none), and
	// whether it answered STARTUP since the proxy started.
	creds     [2]*verifiedCreds
	authAsk   [2]atomic.Pointer[[]byte]
	authKnown [2]atomic.Bool
}

type clusterHealth struct {
	lastHeartbeat atomic.Int64 // unix nanos
	lastSuccess   atomic.Int64 // unix nanos of any successful answer
	connections   atomic.Int64
	failures      atomic.Int64
	// inBandFailures counts client requests that timed out on, or lost
	// their connection to, the cluster: evidence for readiness (control.go).
	inBandFailures atomic.Int64
}

// New builds a server from a validated config.
func New(cfg *config.Config, opts Options) *Server {
	s := &Server{cfg: cfg, dial: opts.Dial, log: opts.Logger,
		ps:      newPSCache(cfg.PreparedCacheSize),
		clients: make(map[*clientConn]struct{}),
		cluster: make(map[*clusterConn]struct{}),
		closed:  make(chan struct{})}
	if opts.Hooks != nil {
		s.hooks = *opts.Hooks
	}
	s.secondary.journal = opts.Journal
	s.secondary.maxN, s.secondary.maxBytes = int64(cfg.SecondaryMaxInFlight), int64(cfg.SecondaryMaxBytes)
	if s.secondary.maxN <= 0 || s.secondary.maxBytes <= 0 { // a Config not from config.Load
		s.secondary.maxN, s.secondary.maxBytes = 4096, 64<<20
	}
	if s.dial == nil {
		var d net.Dialer
		s.dial = func(ctx context.Context, _ Cluster, addr string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", addr)
		}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.addrs[Origin] = cfg.Origin.Addresses()
	s.addrs[Target] = cfg.Target.Addresses()
	st := SettingsFromConfig(cfg)
	s.settings.Store(&st)
	s.adm.init(cfg, s.log, s.closed)
	s.creds = [2]*verifiedCreds{newVerifiedCreds(), newVerifiedCreds()}
	if cfg.ReplaceCQLFunctions {
		s.now = newNowState()
	}
	s.peers = s.newPeerNotice()
	return s
}

// Settings returns the current runtime settings.
func (s *Server) Settings() *Settings { return s.settings.Load() }

// SetSettings swaps the runtime settings; new requests use them.
func (s *Server) SetSettings(st Settings) { s.settings.Store(&st) }

// ListenAndServe listens on proxy_listen_address:proxy_listen_port.
func (s *Server) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.cfg.ListenAddr())
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.ListenAddr(), err)
	}
	return s.Serve(ln)
}

// Serve accepts client connections on ln until Shutdown or Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	select {
	case <-s.closed:
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	default:
	}
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()
	s.hbOnce.Do(func() { go s.heartbeatLoop(); s.startControl(); s.watchPeers() })
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.stopping.Load() || s.draining.Load() || isClosed(s.closed) {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			return fmt.Errorf("accept: %w", err)
		}
		if s.stopping.Load() || s.draining.Load() {
			conn.Close()
			continue
		}
		if !s.admitAccepted(conn.RemoteAddr().String()) {
			conn.Close()
			continue
		}
		s.startClient(conn)
	}
}

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("zdm-proxy: server closed")

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func (s *Server) registerClusterConn(cc *clusterConn, up bool) {
	s.mu.Lock()
	if up {
		s.cluster[cc] = struct{}{}
		s.health[cc.cluster].connections.Add(1)
	} else if _, ok := s.cluster[cc]; ok {
		delete(s.cluster, cc)
		s.health[cc.cluster].connections.Add(-1)
	}
	s.mu.Unlock()
}

// Stats is a snapshot of the server's counters (for health/status endpoints).
type Stats struct {
	ClientConnections  int64
	InFlightRequests   int64
	AsyncReadsInFlight int64
	AsyncReadsDropped  int64
	RejectedClients    int64
	PreparedStatements int
	Draining           bool
	Clusters           [2]ClusterStats
}

// ClusterStats is the health of the connections to one cluster.
type ClusterStats struct {
	Connections   int64
	StreamsInUse  int // reserved stream ids over all connections
	Failures      int64
	LastHeartbeat time.Time // last successful heartbeat answer (zero if none)
	LastSuccess   time.Time // last successful answer of any kind
}

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	st := Stats{
		ClientConnections:  s.clientCount.Load(),
		InFlightRequests:   s.inflight.Load(),
		AsyncReadsInFlight: s.asyncInFlight.Load(),
		AsyncReadsDropped:  s.asyncDropped.Load(),
		RejectedClients:    s.rejected.Load(),
		PreparedStatements: s.ps.len(),
		Draining:           s.draining.Load(),
	}
	for c := Origin; c <= Target; c++ {
		h := &s.health[c]
		st.Clusters[c] = ClusterStats{Connections: h.connections.Load(), Failures: h.failures.Load()}
		if t := h.lastHeartbeat.Load(); t > 0 {
			st.Clusters[c].LastHeartbeat = time.Unix(0, t)
		}
		if t := h.lastSuccess.Load(); t > 0 {
			st.Clusters[c].LastSuccess = time.Unix(0, t)
		}
	}
	for _, cc := range s.clusterConns() {
		st.Clusters[cc.cluster].StreamsInUse += cc.inFlight()
	}
	return st
}

// clusterConns is a snapshot of the open cluster connections.
func (s *Server) clusterConns() []*clusterConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	conns := make([]*clusterConn, 0, len(s.cluster))
	for cc := range s.cluster {
		conns = append(conns, cc)
	}
	return conns
}
