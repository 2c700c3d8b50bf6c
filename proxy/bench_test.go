package proxy_test

import (
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/frame"
)

// benchProxy runs a proxy in front of two FastClusters and returns a raw
// client connection that completed the v4 handshake.
func benchProxy(b *testing.B) *rawConn {
	o, tg := cqltest.StartFast(b), cqltest.StartFast(b)
	_, op, _ := net.SplitHostPort(o.Addr)
	_, tp, _ := net.SplitHostPort(tg.Addr)
	cfg, _, err := config.Load("", []string{"ZDM_ORIGIN_CONTACT_POINTS=127.0.0.1", "ZDM_ORIGIN_PORT=" + op,
		"ZDM_TARGET_CONTACT_POINTS=127.0.0.1", "ZDM_TARGET_PORT=" + tp})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := proxy.New(cfg, proxy.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	go srv.Serve(ln)
	b.Cleanup(srv.Close)
	c := dialRaw(b, ln.Addr().String())
	_ = c.nc.SetDeadline(time.Time{})
	c.startup()
	return c
}

// pipeline keeps depth requests in flight on one connection.
func pipeline(b *testing.B, c *rawConn, req frame.Frame, depth int) {
	b.ReportAllocs()
	b.ResetTimer()
	sent := 0
	for ; sent < depth && sent < b.N; sent++ {
		req.SetStream(int16(sent))
		c.nc.Write(req)
	}
	for done := 0; done < b.N; done++ {
		f, err := c.r.ReadFrame()
		if err != nil {
			b.Fatal(err)
		}
		if f.Opcode() != frame.OpResult {
			b.Fatalf("got %s", frame.OpcodeName(f.Opcode()))
		}
		if sent < b.N {
			req.SetStream(f.Stream())
			c.nc.Write(req)
			sent++
		}
	}
}

func BenchmarkDualWrite(b *testing.B) {
	c := benchProxy(b)
	pipeline(b, c, frame.New(4, 0, 0, frame.OpQuery, queryBody("INSERT INTO ks.t (k, v) VALUES ('k', 'v')")), 64)
}

func BenchmarkRead(b *testing.B) {
	c := benchProxy(b)
	pipeline(b, c, frame.New(4, 0, 0, frame.OpQuery, queryBody("SELECT v FROM ks.t WHERE k = 'k'")), 64)
}

// Depth-1 round trips: the proxy's added latency is the difference between
// BenchmarkRoundTripProxyRead and BenchmarkRoundTripDirect.
func BenchmarkRoundTripProxyWrite(b *testing.B) {
	c := benchProxy(b)
	pipeline(b, c, frame.New(4, 0, 0, frame.OpQuery, queryBody("INSERT INTO ks.t (k, v) VALUES ('k', 'v')")), 1)
}

func BenchmarkRoundTripProxyRead(b *testing.B) {
	c := benchProxy(b)
	pipeline(b, c, frame.New(4, 0, 0, frame.OpQuery, queryBody("SELECT v FROM ks.t WHERE k = 'k'")), 1)
}

func BenchmarkRoundTripDirect(b *testing.B) {
	f := cqltest.StartFast(b)
	c := dialRaw(b, f.Addr)
	_ = c.nc.SetDeadline(time.Time{})
	c.startup()
	pipeline(b, c, frame.New(4, 0, 0, frame.OpQuery, queryBody("SELECT v FROM ks.t WHERE k = 'k'")), 1)
}
