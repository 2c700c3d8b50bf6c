package proxy

import (
	"context"
	"time"
)

// Shutdown stops accepting connections, answers new requests with
// OVERLOADED (so drivers retry on another proxy), waits for in-flight
// requests to finish or ctx to end, then closes every connection.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	s.mu.Lock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.mu.Unlock()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	var err error
wait:
	for s.inflight.Load() > 0 {
		select {
		case <-ctx.Done():
			err = ctx.Err()
			break wait
		case <-t.C:
		}
	}
	s.Close()
	return err
}

// Close closes the listeners and every connection immediately.
func (s *Server) Close() {
	s.draining.Store(true)
	s.closeOnce.Do(func() { close(s.closed) })
	s.mu.Lock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	clients := make([]*clientConn, 0, len(s.clients))
	for c := range s.clients {
		clients = append(clients, c)
	}
	s.mu.Unlock()
	for _, c := range clients {
		c.closeWith(ErrServerClosed)
	}
	s.wg.Wait()
}
