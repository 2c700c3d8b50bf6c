package proxy_test

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/frame"
)

// panicWatch is a log handler noting a recovered panic in a connection.
type panicWatch struct{ panics *atomic.Int64 }

func (h panicWatch) Enabled(context.Context, slog.Level) bool { return true }
func (h panicWatch) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError && r.Message == "panic in client connection" {
		h.panics.Add(1)
	}
	return nil
}
func (h panicWatch) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h panicWatch) WithGroup(string) slog.Handler      { return h }

// handshakeSeeds are the hostile and broken openings of the hostile-client
// test, plus valid ones so the fuzzer reaches every handshake state.
func handshakeSeeds() [][]byte {
	startup := func(v byte, opts map[string]string) []byte {
		keys := make([]string, 0, len(opts))
		for k := range opts {
			keys = append(keys, k)
		}
		return frame.New(v, 0, 1, frame.OpStartup, frame.AppendStringMap(nil, keys, opts))
	}
	cql := map[string]string{"CQL_VERSION": "3.0.0"}
	huge := frame.AppendHeader(nil, 4, 0, 1, frame.OpStartup, 0)
	binary.BigEndian.PutUint32(huge[5:], 256<<20)
	q := binary.BigEndian.AppendUint32(nil, 8)
	q = append(append(q, "SELECT 1"...), 0, 1, 0)
	seeds := [][]byte{
		frame.New(4, 0, 0, frame.OpOptions, nil),
		startup(4, cql),
		append(startup(4, cql), frame.New(4, 0, 2, frame.OpQuery, q)...),
		append(frame.New(4, 0, 0, frame.OpOptions, nil), startup(4, cql)...),
		startup(5, cql),
		startup(4, map[string]string{"CQL_VERSION": "3.0.0", "COMPRESSION": "lz4"}),
		startup(4, map[string]string{"CQL_VERSION": "3.0.0", "COMPRESSION": "zstd"}),
		append(huge, make([]byte, 64)...),
		[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		startup(4, cql)[:5],
		frame.New(4, 0, -1, frame.OpOptions, nil),
		append(startup(4, cql), frame.New(4, 0, -5, frame.OpQuery, q)...),
		frame.New(2, 0, 0, frame.OpOptions, nil),
		frame.New(6, frame.FlagBeta, 0, frame.OpOptions, nil),
		frame.New(4|frame.ResponseBit, 0, 0, frame.OpReady, nil),
		// v5: after READY, frames travel in segments.
		append(startup(5, cql), frame.AppendSegments(nil, frame.New(5, 0, 2, frame.OpQuery, q), nil)...),
		append(startup(5, cql), frame.AppendSegments(nil, frame.New(5, 0, -3, frame.OpQuery, q), nil)...),
		append(startup(5, cql), frame.AppendSegments(nil, append(huge[:0:0], 5, 0, 0, 2, frame.OpQuery, 0x10, 0, 0, 0), nil)...),
	}
	for op := byte(0); op <= 0x11; op++ {
		seeds = append(seeds, frame.New(4, 0, 3, op, []byte{0, 0}))
	}
	return seeds
}

// FuzzHandshake sends arbitrary bytes as a client's first bytes to a proxy
// in front of in-memory clusters. Whatever they are, the proxy answers
// only with well-formed frames, never panics, and keeps serving: a valid
// client logs in afterwards.
func FuzzHandshake(f *testing.F) {
	for _, s := range handshakeSeeds() {
		f.Add(s)
	}
	origin := cqltest.Start(f, cqltest.Options{Name: "origin", IDSalt: "o"})
	target := cqltest.Start(f, cqltest.Options{Name: "target", IDSalt: "t"})
	cfg, _, err := config.Load("", []string{
		"ZDM_ORIGIN_CONTACT_POINTS=" + origin.Host(), "ZDM_ORIGIN_PORT=" + strconv.Itoa(origin.Port()),
		"ZDM_TARGET_CONTACT_POINTS=" + target.Host(), "ZDM_TARGET_PORT=" + strconv.Itoa(target.Port()),
		"ZDM_PROXY_HANDSHAKE_TIMEOUT_MS=500",
	})
	if err != nil {
		f.Fatal(err)
	}
	var panics atomic.Int64
	srv := proxy.New(cfg, proxy.Options{Logger: slog.New(panicWatch{&panics})})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	go srv.Serve(ln)
	f.Cleanup(srv.Close)
	addr := ln.Addr().String()

	f.Fuzz(func(t *testing.T, data []byte) {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := nc.Write(data); err != nil {
			return // the proxy already closed: fine
		}
		_ = nc.(*net.TCPConn).CloseWrite()
		r := frame.NewReader(nc, 4096)
		for i := 0; i < 64; i++ {
			fr, err := r.ReadFrame()
			if err != nil {
				var pe *frame.ProtocolError
				if errors.As(err, &pe) {
					t.Fatalf("proxy sent a malformed frame: %v", err)
				}
				break // EOF, reset or the read deadline
			}
			if !fr.IsResponse() {
				t.Fatalf("proxy sent a request frame (opcode %s)", frame.OpcodeName(fr.Opcode()))
			}
			if fr.Version() >= 5 && (fr.Opcode() == frame.OpReady || fr.Opcode() == frame.OpAuthSuccess) {
				r.SetSegmented(true) // v5 frames travel in segments after login
			}
		}
		if n := panics.Load(); n != 0 {
			t.Fatalf("%d panics in client connections", n)
		}
		// The proxy still serves a valid client.
		ok := dialRaw(t, addr)
		ok.startup()
		ok.nc.Close()
	})
}
