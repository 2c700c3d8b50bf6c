package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultPort is the default metrics_port.
const DefaultPort = 14001

// Address joins metrics_address and metrics_port, defaulting to all
// interfaces and DefaultPort.
func Address(host string, port int) string {
	if port == 0 {
		port = DefaultPort
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// Options configure New. Nil fields disable what they feed: no Gatherer
// means 404 on /metrics, no Health means not ready, no Status means 404 on
// /api/v1/status.
type Options struct {
	Addr     string // host:port to listen on, see Address
	Gatherer prometheus.Gatherer
	Health   Health
	Status   func() Status
	// Peer serves the proxy's peer notices (proxy/peernotice) under
	// /health/peer/: they belong with the health endpoints, on the
	// listener the other proxies reach. Nil: not mounted.
	Peer   http.Handler
	Logger *slog.Logger
	// Now is the clock for UptimeSeconds; time.Now when nil.
	Now func() time.Time
}

// Server is the admin HTTP server.
type Server struct {
	o        Options
	http     *http.Server
	ln       net.Listener
	stopping atomic.Bool // liveness and readiness fail
	draining atomic.Bool // readiness fails, liveness still answers
	done     chan struct{}
}

// New builds the server; it does not listen yet.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{o: o, done: make(chan struct{})}
	s.http = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Handler is the HTTP mux, for tests or to mount elsewhere.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	if s.o.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(s.o.Gatherer, promhttp.HandlerOpts{
			ErrorLog:      slog.NewLogLogger(s.o.Logger.Handler(), slog.LevelWarn),
			ErrorHandling: promhttp.ContinueOnError,
		}))
	}
	mux.HandleFunc("GET /health/liveness", s.liveness)
	mux.HandleFunc("GET /health/readiness", s.readiness)
	if s.o.Peer != nil {
		mux.Handle("/health/peer/", s.o.Peer)
	}
	if s.o.Status != nil {
		mux.HandleFunc("GET /api/v1/status", s.status)
	}
	return mux
}

// Start listens on Options.Addr and serves in the background. It returns
// once the socket is bound (an error if it could not be).
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.o.Addr)
	if err != nil {
		return fmt.Errorf("admin server listen on %s: %w", s.o.Addr, err)
	}
	s.ln = ln
	s.o.Logger.Info("admin server listening", "addr", ln.Addr().String())
	go func() {
		defer close(s.done)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.o.Logger.Error("admin server stopped", "err", err)
		}
	}()
	return nil
}

// Addr is the bound address after Start (useful with port 0).
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Drain makes readiness answer 503 "shutting down" from now on while
// liveness keeps answering 200: call it when the proxy starts draining, so
// load balancers stop sending new clients but nothing restarts the process
// before the drain ends. Shutdown follows once the drain is over.
func (s *Server) Drain() { s.draining.Store(true) }

// Shutdown makes liveness and readiness fail at once, then stops the server
// gracefully within ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopping.Store(true)
	if s.ln == nil {
		return nil
	}
	err := s.http.Shutdown(ctx)
	<-s.done
	if err != nil {
		return fmt.Errorf("admin server shutdown: %w", err)
	}
	return nil
}

func (s *Server) liveness(w http.ResponseWriter, _ *http.Request) {
	if s.stopping.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("OK\n"))
}

func (s *Server) readiness(w http.ResponseWriter, _ *http.Request) {
	r := s.Readiness()
	code := http.StatusOK
	if !r.Ready {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, r)
}

// Readiness evaluates the readiness document served on /health/readiness.
func (s *Server) Readiness() Readiness {
	if s.stopping.Load() || s.draining.Load() {
		return Readiness{Reason: "shutting down", Clusters: []ClusterStatus{}}
	}
	if s.o.Health == nil {
		return Readiness{Reason: "no cluster health source", Clusters: []ClusterStatus{}}
	}
	cs := s.o.Health.ClusterStatus()
	r := Readiness{Clusters: cs}
	if r.Clusters == nil {
		r.Clusters = []ClusterStatus{}
	}
	if len(cs) == 0 {
		r.Reason = "no cluster status yet"
		return r
	}
	var why []string
	for _, c := range cs {
		if c.Reachable {
			continue
		}
		r.FailingClusters = append(r.FailingClusters, c.Name)
		msg := c.Name + " unreachable"
		if c.Error != "" {
			msg += ": " + c.Error
		}
		why = append(why, msg)
	}
	r.Ready = len(why) == 0
	r.Reason = strings.Join(why, "; ")
	return r
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	st := s.o.Status()
	if !st.StartTime.IsZero() {
		st.UptimeSeconds = s.o.Now().Sub(st.StartTime).Seconds()
	}
	writeJSON(w, http.StatusOK, st)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}
