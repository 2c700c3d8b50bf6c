// Package bench is the proxy benchmark behind `make bench`: it runs the same
// workloads directly against an in-memory CQL server and through zdm-proxy
// (a separate process in front of two such servers, Origin and Target), and
// reports throughput, p50/p99 latency and the proxy's CPU per operation next
// to the direct baseline and the project's goals. Every figure is measured
// in the run: another proxy is compared only by running it
// (ZDM_BENCH_COMPARE_BIN), never by quoting a number.
//
// Knobs (environment):
//
//	ZDM_BENCH_PROXY_BIN   proxy binary to run (default: go build ./cmd/zdm-proxy)
//	ZDM_BENCH_COMPARE_BIN another proxy binary (ZDM Proxy, an older build) measured side by side:
//	                      same load, same rounds (default: none, and no comparison column)
//	ZDM_BENCH_COMPARE_LABEL its name in the report (default: the file name)
//	ZDM_BENCH_STANDIN=1   run the TCP pass-through stand-in instead (pipeline check only)
//	ZDM_BENCH_WARMUP      unmeasured warm-up of each side of each row (default 1s)
//	ZDM_BENCH_MEASURE     measured time per side and row, split over the rounds (default 6s)
//	ZDM_BENCH_ROUNDS      measured rounds per side and row, alternated ABBA (default 6)
//	ZDM_BENCH_RATE        open-loop rate in ops/s (default 5000)
//	ZDM_BENCH_INFLIGHT    closed-loop concurrency (default 64)
//	ZDM_BENCH_ONLY        run a subset, e.g. "write,open" (keys: write, read, async-read, open, closed)
//	ZDM_BENCH_PROXY_LOG   save each scenario's proxy output (last 64 KiB) to this path + ".N"
//	ZDM_BENCH_OUT         markdown report path (default <repo>/bin/bench.md; JSON next to it)
//
// `make bench BENCH_NICE='nice -n -10'` runs the harness, the proxy and the
// in-memory servers at a higher priority than other processes of the same cgroup.
package bench
