package cqltest

import (
	"bytes"
	"net"
	"sync"

	cqlframe "github.com/datastax/go-cassandra-native-protocol/frame"

	pframe "github.com/zdmctl/zdmctl/proxy/frame"
)

// The library's CqlServer has data races on close, so the fake runs its own
// small accept loop; messages are still decoded and encoded by the library.

// Conn is one connection to a fake cluster, as seen by its handler.
type Conn struct {
	nc    net.Conn
	w     *pframe.Writer
	mu    sync.Mutex
	attrs map[string]any
}

// Close drops the TCP connection.
func (c *Conn) Close() { _ = c.nc.Close() }

func (c *Conn) get(k string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.attrs[k]
}

func (c *Conn) put(k string, v any) {
	c.mu.Lock()
	c.attrs[k] = v
	c.mu.Unlock()
}

type server struct {
	ln     net.Listener
	handle func(*cqlframe.Frame, *Conn) *cqlframe.Frame
	mu     sync.Mutex
	conns  map[*Conn]struct{}
	wg     sync.WaitGroup
	closed bool
}

func (s *server) serve() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		c := &Conn{nc: nc, w: pframe.NewWriter(nc), attrs: map[string]any{}}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.readLoop(c)
	}
}

func (s *server) readLoop(c *Conn) {
	defer s.wg.Done()
	defer func() {
		c.w.Close()
		c.nc.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	r := pframe.NewReader(c.nc, 64<<10)
	codec := cqlframe.NewCodec()
	var reqs sync.WaitGroup
	defer reqs.Wait()
	for {
		raw, err := r.ReadFrame()
		if err != nil {
			return
		}
		req, err := codec.DecodeFrame(bytes.NewReader(raw))
		if err != nil {
			return
		}
		handshake := c.get(stateKey) != "ready"
		run := func() {
			resp := s.handle(req, c)
			if resp == nil {
				return
			}
			var buf bytes.Buffer
			if err := cqlframe.NewCodec().EncodeFrame(resp, &buf); err != nil {
				return
			}
			_ = c.w.EnqueueFunc(func(dst []byte) []byte { return append(dst, buf.Bytes()...) })
			_ = c.w.Flush()
		}
		if handshake {
			// Handshake answers are written in order, and the switch to v5
			// segments happens right after READY/AUTHENTICATE.
			resp := s.handle(req, c)
			if resp == nil {
				continue
			}
			var buf bytes.Buffer
			if err := codec.EncodeFrame(resp, &buf); err != nil {
				return
			}
			op := resp.Header.OpCode
			if _, err := c.nc.Write(segmentIf(r.Segmented(), buf.Bytes())); err != nil {
				return
			}
			if resp.Header.Version >= 5 && (op == 0x02 || op == 0x03) && !r.Segmented() {
				r.SetSegmented(true)
				c.w.Configure(true, nil)
			}
			continue
		}
		reqs.Add(1)
		go func() {
			defer reqs.Done()
			run()
		}()
	}
}

func segmentIf(on bool, f []byte) []byte {
	if !on {
		return f
	}
	return pframe.AppendSegments(nil, f, nil)
}

func (s *server) close() {
	s.mu.Lock()
	s.closed = true
	s.ln.Close()
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
