package proxy_test

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

func TestMalformedInputClosesOnlyThatConnection(t *testing.T) {
	e := newEnv(t, envOpts{})
	s := e.session(t, nil)
	healthy := func() {
		t.Helper()
		if err := s.Query("INSERT INTO ks.t (k) VALUES ('still-ok')").Exec(); err != nil {
			t.Fatalf("other client broken: %v", err)
		}
	}

	t.Run("garbage", func(t *testing.T) {
		c := dialRaw(t, e.addr)
		c.write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		f := c.read()
		if frame.ErrorCode(f) != frame.ErrCodeProtocol {
			t.Fatalf("got %s code %x, want PROTOCOL_ERROR", frame.OpcodeName(f.Opcode()), frame.ErrorCode(f))
		}
		c.expectClosed()
		healthy()
	})
	t.Run("oversized frame", func(t *testing.T) {
		c := dialRaw(t, e.addr)
		c.startup()
		h := frame.AppendHeader(nil, 4, 0, 77, frame.OpQuery, 0)
		binary.BigEndian.PutUint32(h[5:], 300<<20)
		c.write(h)
		f := c.read()
		if frame.ErrorCode(f) != frame.ErrCodeProtocol || f.Stream() != 77 {
			t.Fatalf("got code %x stream %d, want PROTOCOL_ERROR on stream 77", frame.ErrorCode(f), f.Stream())
		}
		c.expectClosed()
		healthy()
	})
	t.Run("unknown opcode", func(t *testing.T) {
		c := dialRaw(t, e.addr)
		c.startup()
		c.write(frame.New(4, 0, 9, 0x42, []byte{1, 2, 3}))
		f := c.read()
		if frame.ErrorCode(f) != frame.ErrCodeProtocol || f.Stream() != 9 {
			t.Fatalf("got code %x stream %d, want PROTOCOL_ERROR on stream 9", frame.ErrorCode(f), f.Stream())
		}
		c.expectClosed()
		healthy()
	})
	t.Run("truncated body", func(t *testing.T) {
		c := dialRaw(t, e.addr)
		c.startup()
		body := binary.BigEndian.AppendUint32(nil, 1000) // claims a 1000-byte query
		body = append(body, "SELECT"...)
		c.write(frame.New(4, 0, 5, frame.OpQuery, body))
		f := c.read()
		if frame.ErrorCode(f) != frame.ErrCodeProtocol || f.Stream() != 5 {
			t.Fatalf("got code %x stream %d, want PROTOCOL_ERROR on stream 5", frame.ErrorCode(f), f.Stream())
		}
		c.expectClosed()
		healthy()
	})
	t.Run("unsupported version", func(t *testing.T) {
		c := dialRaw(t, e.addr)
		c.write(frame.New(6, 0, 3, frame.OpOptions, nil))
		f := c.read()
		if frame.ErrorCode(f) != frame.ErrCodeProtocol {
			t.Fatalf("got code %x, want PROTOCOL_ERROR", frame.ErrorCode(f))
		}
		healthy()
	})
}

func TestMaxClientConnections(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_PROXY_MAX_CLIENT_CONNECTIONS=1"}})
	c1 := dialRaw(t, e.addr)
	c1.startup()
	c2 := dialRaw(t, e.addr)
	c2.expectClosed()
	if e.srv.Stats().RejectedClients != 1 {
		t.Fatal("rejection not counted")
	}
	c1.nc.Close()
	waitFor(t, "first client to be gone", func() bool { return e.srv.Stats().ClientConnections == 0 })
	c3 := dialRaw(t, e.addr)
	c3.startup()
	c3.write(frame.New(4, 0, 2, frame.OpQuery, queryBody("INSERT INTO ks.t (k) VALUES ('x')")))
	if f := c3.read(); f.Opcode() != frame.OpResult {
		t.Fatalf("query on a new connection after the cap freed: %s", frame.OpcodeName(f.Opcode()))
	}
}

// Random frames and bytes after a valid handshake must never take the
// proxy down (a panic in any goroutine would crash this test binary).
func TestRandomInputAfterHandshake(t *testing.T) {
	e := newEnv(t, envOpts{})
	rng := rand.New(rand.NewPCG(1, 2))
	ops := []byte{frame.OpQuery, frame.OpPrepare, frame.OpExecute, frame.OpBatch, frame.OpRegister, frame.OpOptions, frame.OpStartup, frame.OpAuthResponse}
	for i := 0; i < 200; i++ {
		c := dialRaw(t, e.addr)
		c.startup()
		body := make([]byte, rng.IntN(64))
		for j := range body {
			body[j] = byte(rng.IntN(256))
		}
		if i%2 == 0 {
			c.write(frame.New(4, byte(rng.IntN(32)), int16(rng.IntN(100)), ops[rng.IntN(len(ops))], body))
		} else {
			c.write(body)
		}
		_ = c.nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		buf := make([]byte, 4096)
		_, _ = c.nc.Read(buf)
		c.nc.Close()
	}
	s := e.session(t, nil)
	if err := s.Query("INSERT INTO ks.t (k) VALUES ('alive')").Exec(); err != nil {
		t.Fatalf("proxy unusable after random input: %v", err)
	}
}
