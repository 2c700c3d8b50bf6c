package proxy_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/classify"
	"github.com/zdmctl/zdmctl/proxy/frame"
	"github.com/zdmctl/zdmctl/proxy/metrics"
)

// BenchmarkObserveDualWrite is the metrics cost of one dual write: two
// cluster answers and the client outcome.
func BenchmarkObserveDualWrite(b *testing.B) {
	m := metrics.New(metrics.Options{NoRuntimeCollectors: true})
	h := proxy.NewObserver(m, slog.New(slog.NewTextHandler(io.Discard, nil)), 1, false).Hooks()
	out := proxy.RequestOutcome{Opcode: frame.OpExecute, Kind: classify.KindInsert, Clusters: []proxy.Cluster{proxy.Origin, proxy.Target}, Duration: time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		h.OnInflight(proxy.InflightWrites, 1)
		h.OnClusterRequest(proxy.Origin, classify.KindInsert, false, time.Millisecond, -1)
		h.OnClusterRequest(proxy.Target, classify.KindInsert, false, time.Millisecond, -1)
		h.OnRequest(out)
		h.OnInflight(proxy.InflightWrites, -1)
	}
}
