// Package admin is the proxy's operations HTTP server. On
// metrics_address:metrics_port (default 14001), what monitoring may reach:
//
//	GET /metrics           Prometheus text for the proxy's registry
//	GET /health/liveness   200 while the server serves, 503 once shutting down
//	GET /health/readiness  200 + Readiness JSON when every cluster is reachable,
//	                       503 + Readiness JSON naming the failing cluster(s) otherwise;
//	                       an Optional cluster (the secondary in write_mode
//	                       DUAL_ASYNC_ON_SECONDARY) down is 200 with "degraded": true
//
// On admin_address:admin_port (Options.APIAddr, default localhost:14002),
// the admin API, local by default:
//
//	GET /api/v1/status     Status JSON (version, config, read mode, counters...)
//
// With APIAddr empty or equal to Addr, one listener serves all of them.
//
// The JSON documents are the exported Readiness and Status structs, so
// zdmctl decodes them with the same types (see GetStatus, GetReadiness).
//
// Wiring:
//
//	srv := admin.New(admin.Options{
//		Addr:     admin.Address(cfg.MetricsAddress, cfg.MetricsPort),
//		APIAddr:  net.JoinHostPort(cfg.AdminAddress, strconv.Itoa(cfg.AdminPort)),
//		Gatherer: m.Registry(),             // proxy/metrics
//		Health:   proxy,                    // implements admin.Health
//		Status:   proxy.AdminStatus,        // func() admin.Status
//		Logger:   logger,
//	})
//	if err := srv.Start(); err != nil { ... }   // listens now, serves in the background
//	defer srv.Shutdown(ctx)
//
// Use Redact and ConfigSHA256 to fill Status.Config and Status.ConfigSHA256.
package admin
