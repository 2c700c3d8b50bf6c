// Layout and seams (for follow-up work: metrics, health, TLS, live reload):
//
//   - config/    loads YAML + ZDM_* env; the known-key table (keys.go) is the
//     single place to add keys.
//   - frame/     raw frames: header, v5 segments, LZ4/Snappy, the coalescing
//     Writer (flat-combining flush, one write per drain) and Reader.
//   - classify/  statement kind and SELECT keyspace/table from raw bodies.
//   - server.go  Server, Stats (client connections, in-flight requests,
//     per-cluster health incl. last heartbeat) for health/status endpoints.
//   - settings.go  Settings behind an atomic pointer, read per request;
//     Server.SetSettings swaps them at runtime (SIGHUP reload).
//   - Options.Dial  injectable cluster dialer (TLS); Server.Serve takes any
//     net.Listener (TLS listener).
//   - hooks.go   Hooks: request outcomes, per-cluster latencies and async
//     read results (both RESULT frames, for a divergence check).
//   - clientconn.go / handshake.go / router.go / request.go: one client
//     connection, its handshake and auth, routing and request completion.
//   - clusterconn.go: the per-client connection to one cluster and its
//     stream-id mapping; heartbeat.go; pscache.go (bounded LRU of prepared
//     ids per cluster); prepared.go (EXECUTE/BATCH id rewriting);
//     systemtables.go (system.local/peers answered by the proxy);
//     shutdown.go (drain with OVERLOADED).
//
// Data path: a client's reader goroutine reads a frame, classifies it from
// the raw body, reserves a stream id on each target cluster connection and
// appends the frame (stream id rewritten; prepared ids rewritten for the
// other cluster) to that connection's Writer; writers are flushed once the
// reader has no complete frame buffered. Each cluster connection's reader
// matches responses by stream id and completes the request, which appends
// the chosen answer to the client's Writer. No goroutine per request; a
// runtime timer per request enforces proxy_request_timeout_ms.
package proxy
