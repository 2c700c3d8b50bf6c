// Package metrics holds the proxy's Prometheus metrics, named like DataStax
// ZDM Proxy's so existing dashboards keep working, on a registry of its own.
//
// Every label child is resolved once in New, so the per-request methods
// (ObserveWrite, ObserveRead, FailedWrite, Cluster(c).Failed, Inflight...)
// take no lock, do no label lookup and allocate nothing.
//
// Wiring:
//
//	m := metrics.New(metrics.Options{ProxyBuckets: metrics.BucketsFromMillis(cfg.ProxyLatencyBucketsMs)})
//	admin.New(admin.Options{Gatherer: m.Registry(), ...})
//	// per client request:
//	done := m.Inflight(metrics.Writes) ; defer done()
//	start := time.Now(); ...; m.ObserveWrite(time.Since(start))
//	if originErr || targetErr { m.FailedWrite(originErr, targetErr) }
//	// per cluster response:
//	m.Cluster(metrics.Origin).ObserveRequest(metrics.KindWrite, d)
//	if errorCode != nil { m.Cluster(metrics.Origin).Failed(code) }
//	// connections: m.ClientConnections.Inc()/Dec(), m.Cluster(c).Connections.Inc()/Dec()
//	// prepared cache: m.PSCacheEntries.Set(n), m.PSCacheMiss.Inc()
//	// async reads: m.AsyncReadCompared.Inc(), m.AsyncReadMismatch(ks, table), m.AsyncDropped.Inc()
package metrics
