package memcql

import (
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
)

// Counts is how many user statements a server has answered.
type Counts struct {
	Writes int64
	Reads  int64
}

// Server is an in-memory CQL server. Create it with Listen.
type Server struct {
	ln      net.Listener
	cluster string
	dc      string
	hostID  []byte
	stmts   *registry
	writes  atomic.Int64
	reads   atomic.Int64
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	closed  bool
	wg      sync.WaitGroup
}

// Listen starts a server on addr (host:port, port 0 picks a free one) that
// reports cluster as its cluster name.
func Listen(addr, cluster string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("memcql listen on %s: %w", addr, err)
	}
	id := md5.Sum([]byte(cluster + "/" + ln.Addr().String()))
	id[6] = id[6]&0x0f | 0x40 // make it look like a v4 UUID
	id[8] = id[8]&0x3f | 0x80
	s := &Server{
		ln: ln, cluster: cluster, dc: "dc1", hostID: id[:],
		stmts: newRegistry(), conns: make(map[net.Conn]struct{}),
	}
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() *net.TCPAddr { return s.ln.Addr().(*net.TCPAddr) }

// Counts returns the user statements answered so far.
func (s *Server) Counts() Counts {
	return Counts{Writes: s.writes.Load(), Reads: s.reads.Load()}
}

// Close stops accepting, closes every connection and waits for their
// goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			err := newConn(s, c).serve()
			if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				slog.Debug("memcql connection ended", "cluster", s.cluster, "err", err)
			}
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			_ = c.Close()
		}()
	}
}
