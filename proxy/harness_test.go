package proxy_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/journal"
)

// env is a proxy in front of two fake clusters.
type env struct {
	origin, target *cqltest.Cluster
	srv            *proxy.Server
	addr           string
	cfg            *config.Config
}

type envOpts struct {
	origin, target cqltest.Options
	extraEnv       []string
	hooks          *proxy.Hooks
	// lateEnv adds environment overrides once the fake clusters run.
	lateEnv func(*env) []string
	journal *journal.Set   // proxy.Options.Journal
	dial    proxy.DialFunc // proxy.Options.Dial
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	if o.origin.Name == "" {
		o.origin.Name = "origin"
	}
	if o.target.Name == "" {
		o.target.Name = "target"
	}
	if o.origin.IDSalt == "" {
		o.origin.IDSalt = "o"
	}
	if o.target.IDSalt == "" {
		o.target.IDSalt = "t"
	}
	e := &env{origin: cqltest.Start(t, o.origin), target: cqltest.Start(t, o.target)}
	envs := []string{
		"ZDM_ORIGIN_CONTACT_POINTS=" + e.origin.Host(), "ZDM_ORIGIN_PORT=" + itoa(e.origin.Port()),
		"ZDM_TARGET_CONTACT_POINTS=" + e.target.Host(), "ZDM_TARGET_PORT=" + itoa(e.target.Port()),
		"ZDM_PROXY_LISTEN_ADDRESS=127.0.0.1", "ZDM_PROXY_LISTEN_PORT=0",
	}
	envs = append(envs, o.extraEnv...)
	if o.lateEnv != nil {
		envs = append(envs, o.lateEnv(e)...)
	}
	cfg, _, err := config.Load("", envs)
	if err != nil {
		t.Fatal(err)
	}
	e.cfg = cfg
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e.srv = proxy.New(cfg, proxy.Options{Logger: logger, Hooks: o.hooks, Journal: o.journal, Dial: o.dial})
	go e.srv.Serve(ln)
	t.Cleanup(e.srv.Close)
	return e
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func itoa(n int) string {
	b := []byte{}
	if n == 0 {
		return "0"
	}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// session opens a gocql session through the proxy.
func (e *env) session(t *testing.T, mod func(*gocql.ClusterConfig)) *gocql.Session {
	t.Helper()
	cl := e.clusterConfig()
	if mod != nil {
		mod(cl)
	}
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatalf("create session through proxy: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func (e *env) clusterConfig() *gocql.ClusterConfig {
	host, port, _ := net.SplitHostPort(e.addr)
	cl := gocql.NewCluster(host)
	var p int
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	cl.Port = p
	cl.Timeout = 5 * time.Second
	cl.ConnectTimeout = 5 * time.Second
	cl.NumConns = 1
	cl.DisableInitialHostLookup = false
	cl.PoolConfig.HostSelectionPolicy = gocql.RoundRobinHostPolicy()
	return cl
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}
