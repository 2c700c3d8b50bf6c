package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/admin"
	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/metrics"
)

// running is a started proxy: CQL listener, admin HTTP server, reload.
type running struct {
	*daemon
	admin *admin.Server
	errc  chan error // Serve's result
}

// start builds and starts the proxy and its admin server from cfg; raw is
// the config file's bytes (nil from the environment only).
func start(cfg *config.Config, raw []byte, path string, environ []string, logger *slog.Logger, level *slog.LevelVar) (*running, error) {
	var m *metrics.Metrics
	if cfg.MetricsEnabled {
		m = metrics.New(metrics.Options{
			ProxyBuckets:  metrics.BucketsFromMillis(cfg.ProxyBucketsMs),
			OriginBuckets: metrics.BucketsFromMillis(cfg.OriginBucketsMs),
			TargetBuckets: metrics.BucketsFromMillis(cfg.TargetBucketsMs),
			AsyncBuckets:  metrics.BucketsFromMillis(cfg.AsyncBucketsMs),
		})
	}
	obs := proxy.NewObserver(m, logger, cfg.CompareSampleRate, cfg.LogMismatchValues)
	dial, err := clusterDialer(cfg, logger)
	if err != nil {
		return nil, err
	}
	jset, err := openJournal(cfg, logger)
	if err != nil {
		return nil, err
	}
	hooks := obs.Hooks()
	hooks.OnSecondaryWriteFailure = secondaryFailureHook(m, logger)
	if m != nil {
		m.RegisterJournal(journalValues(jset))
	}
	srv := proxy.New(cfg, proxy.Options{Logger: logger, Dial: dial, Hooks: hooks, Journal: jset})
	srv.SetLogMismatchValues(cfg.LogMismatchValues)
	// Wrong configured credentials would otherwise go unnoticed until a
	// client needs them: refuse to start, naming the key. An unreachable
	// cluster is only a warning, so the proxy can start before its clusters.
	checkCtx, cancelCheck := context.WithTimeout(context.Background(), 10*time.Second)
	err = srv.CheckCredentials(checkCtx)
	cancelCheck()
	if err != nil {
		closeJournal(jset, logger)
		return nil, fmt.Errorf("a cluster rejected the configured credentials: %w", err)
	}
	d := &daemon{path: path, environ: environ, log: logger, level: level, srv: srv, obs: obs,
		start: time.Now(), cfg: cfg, fromFile: path != "", journal: jset}
	d.sha = configSHA256(cfg, raw, d.fromFile)

	ln, err := net.Listen("tcp", cfg.ListenAddr())
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.ListenAddr(), err)
	}
	cln, err := clientListener(ln, cfg.ProxyTLS, logger)
	if err != nil {
		ln.Close()
		closeJournal(jset, logger)
		return nil, err
	}
	ao := admin.Options{Addr: admin.Address(cfg.MetricsAddress, cfg.MetricsPort),
		APIAddr: net.JoinHostPort(cfg.AdminAddress, strconv.Itoa(cfg.AdminPort)),
		Health:  srv, Status: d.status, Logger: logger}
	if h := srv.PeerHandler(); h != nil {
		ao.Peer = h
		if metricsLoopback(cfg.MetricsAddress) {
			logger.Warn("metrics_address is loopback: peer proxies cannot reach this proxy's drain notices and readiness; they fall back to its CQL port (set metrics_address so the peers reach it, e.g. 0.0.0.0)",
				"metrics_address", cfg.MetricsAddress)
		} else if cfg.PeerNoticeToken == "" {
			logger.Warn("peer notices are unauthenticated: anyone who reaches the metrics port can make this proxy announce its peers DOWN to its clients (set peer_notice_token, the same secret on every proxy of the fleet)",
				"metrics_address", cfg.MetricsAddress)
		}
	}
	if m != nil {
		ao.Gatherer = srv.Gatherer(m)
	}
	as := admin.New(ao)
	if err := as.Start(); err != nil {
		ln.Close()
		closeJournal(jset, logger)
		return nil, fmt.Errorf("admin server on %s: %w", ao.Addr, err)
	}
	logger.Info("listening for CQL clients", "address", ln.Addr().String(), "tls", cln != ln,
		"origin", strings.Join(cfg.Origin.Addresses(), ","), "target", strings.Join(cfg.Target.Addresses(), ","),
		"primary_cluster", cfg.PrimaryCluster, "read_mode", cfg.ReadMode)
	logger.Info("admin endpoints listening", "address", as.Addr(), "metrics", m != nil, "api_address", as.APIAddr())
	r := &running{daemon: d, admin: as, errc: make(chan error, 1)}
	go func() { r.errc <- srv.Serve(cln) }()
	return r, nil
}

func (r *running) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = r.admin.Shutdown(ctx)
	r.srv.Close()
	closeJournal(r.journal, r.log)
}

// shutdown drains the proxy: readiness fails at once while liveness keeps
// answering, the CQL side stops accepting and waits (within ctx) for
// in-flight requests, and only then does the admin server stop. The
// returned error is the CQL side's (ctx ended with requests in flight).
func (r *running) shutdown(ctx context.Context) error {
	r.admin.Drain()
	err := r.srv.Shutdown(ctx)
	// ctx may be spent by a long drain: give the admin server its own
	// short grace period to finish answering probes.
	actx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if aerr := r.admin.Shutdown(actx); aerr != nil {
		r.log.Warn("admin server did not stop cleanly", "err", aerr.Error())
	}
	return err
}

// metricsLoopback: the metrics listener is reachable from this host only.
func metricsLoopback(host string) bool {
	// Other 127.0.0.0/8 addresses are how peers on one machine (tests)
	// reach each other; only the usual names of "this host only" warn.
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
