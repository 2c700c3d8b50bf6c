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
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultPort is the default metrics_port.
const DefaultPort = 14001

// DefaultAPIPort is the default admin_port (the admin API listener).
const DefaultAPIPort = 14002

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
	Addr string // host:port to listen on, see Address
	// APIAddr, when set and not Addr, is a second listener that alone
	// serves the admin API (/api/v1/*); Addr then serves only /metrics
	// and /health/*. Empty or equal to Addr: one listener serves all.
	APIAddr  string
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
	api      *http.Server // nil: the API is on http
	apiLn    net.Listener
	apiDone  chan struct{}
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
	newServer := func(h http.Handler) *http.Server {
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
		}
	}
	if o.APIAddr != "" && !sameListener(o.APIAddr, o.Addr) {
		s.http = newServer(s.MetricsHandler())
		s.api = newServer(s.APIHandler())
		s.apiDone = make(chan struct{})
	} else {
		s.http = newServer(s.Handler())
	}
	return s
}

// Handler is the HTTP mux of every endpoint (one listener), for tests or
// to mount elsewhere.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.metricsRoutes(mux)
	s.apiRoutes(mux)
	return mux
}

// MetricsHandler serves /metrics and /health/* only: what may be exposed
// to the network for monitoring.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	s.metricsRoutes(mux)
	return mux
}

// APIHandler serves the admin API (/api/v1/*) only.
func (s *Server) APIHandler() http.Handler {
	mux := http.NewServeMux()
	s.apiRoutes(mux)
	return mux
}

func (s *Server) metricsRoutes(mux *http.ServeMux) {
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
}

func (s *Server) apiRoutes(mux *http.ServeMux) {
	if s.o.Status != nil {
		mux.HandleFunc("GET /api/v1/status", s.status)
	}
}

// Start listens on Options.Addr and serves in the background. It returns
// once the socket is bound (an error if it could not be).
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.o.Addr)
	if err != nil {
		return fmt.Errorf("admin server listen on %s: %w", s.o.Addr, err)
	}
	if s.api != nil {
		aln, err := net.Listen("tcp", s.o.APIAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("admin API listen on %s: %w", s.o.APIAddr, err)
		}
		s.apiLn = aln
		s.o.Logger.Info("admin API listening", "addr", aln.Addr().String())
		go func() {
			defer close(s.apiDone)
			if err := s.api.Serve(aln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.o.Logger.Error("admin API server stopped", "err", err)
			}
		}()
	}
	s.ln = ln
	s.o.Logger.Info("admin server listening", "addr", ln.Addr().String(), "with_api", s.api == nil)
	go func() {
		defer close(s.done)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.o.Logger.Error("admin server stopped", "err", err)
		}
	}()
	return nil
}

// sameListener: a and b are one host:port (port 0 is a new one each time).
func sameListener(a, b string) bool {
	_, port, err := net.SplitHostPort(a)
	return a == b && err == nil && port != "0"
}

// APIAddr is the admin API's bound address after Start: the second
// listener's, or Addr when one listener serves all.
func (s *Server) APIAddr() string {
	if s.apiLn != nil {
		return s.apiLn.Addr().String()
	}
	return s.Addr()
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
	if s.apiLn != nil {
		if aerr := s.api.Shutdown(ctx); aerr != nil && err == nil {
			err = aerr
		}
		<-s.apiDone
	}
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
	return Evaluate(s.o.Health.ClusterStatus())
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
