package proxy_test

import (
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/frame"
	"github.com/zdmctl/zdmctl/proxy/journal"
)

// benchProxyEnv is benchProxy with extra ZDM_* settings and a journal.
func benchProxyEnv(b *testing.B, env ...string) *rawConn {
	o, tg := cqltest.StartFast(b), cqltest.StartFast(b)
	_, op, _ := net.SplitHostPort(o.Addr)
	_, tp, _ := net.SplitHostPort(tg.Addr)
	jdir := b.TempDir()
	cfg, _, err := config.Load("", append([]string{"ZDM_ORIGIN_CONTACT_POINTS=127.0.0.1", "ZDM_ORIGIN_PORT=" + op,
		"ZDM_TARGET_CONTACT_POINTS=127.0.0.1", "ZDM_TARGET_PORT=" + tp, "ZDM_JOURNAL_DIR=" + jdir}, env...))
	if err != nil {
		b.Fatal(err)
	}
	set, err := journal.OpenSet(jdir, journal.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { set.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := proxy.New(cfg, proxy.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Journal: set})
	go srv.Serve(ln)
	b.Cleanup(srv.Close)
	c := dialRaw(b, ln.Addr().String())
	_ = c.nc.SetDeadline(time.Time{})
	c.startup()
	return c
}

// insertWithTimestamp is an INSERT carrying a client timestamp, as drivers
// send by default (v4 flags: 0x20).
func insertWithTimestamp() frame.Frame {
	q := "INSERT INTO ks.t (k, v) VALUES ('k', 'v')"
	b := binary.BigEndian.AppendUint32(nil, uint32(len(q)))
	b = append(b, q...)
	b = append(b, 0, 1, 0x20)
	b = binary.BigEndian.AppendUint64(b, 1_700_000_000_000_000)
	return frame.New(4, 0, 0, frame.OpQuery, b)
}

// BenchmarkDualWriteClientTimestamp: DUAL_SYNC with the driver's timestamp
// (nothing to inject); compare BenchmarkDualWrite (timestamp injected).
func BenchmarkDualWriteClientTimestamp(b *testing.B) {
	pipeline(b, benchProxyEnv(b), insertWithTimestamp(), 64)
}

// BenchmarkDualWriteAsync: the same write in DUAL_ASYNC_ON_SECONDARY (the
// secondary's write in the background; journal idle).
func BenchmarkDualWriteAsync(b *testing.B) {
	pipeline(b, benchProxyEnv(b, "ZDM_WRITE_MODE=DUAL_ASYNC_ON_SECONDARY"), insertWithTimestamp(), 64)
}
