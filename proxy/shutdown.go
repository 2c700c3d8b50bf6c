package proxy

import (
	"context"
	"time"
)

// downGrace is how long Shutdown keeps connections open after telling
// clients the proxy is DOWN, so drivers stop using them before they close
// (a request written as a connection closes is lost, not retried).
const downGrace = time.Second

// Shutdown stops accepting connections, answers new requests with
// OVERLOADED (so drivers retry on another proxy), tells clients registered
// for STATUS_CHANGE that this proxy is DOWN, waits for in-flight requests to
// finish and for downGrace after the event (or for ctx to end), then closes
// every connection.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	s.mu.Lock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.mu.Unlock()
	graceEnd := time.Now().Add(downGrace)
	if s.announceDown() == 0 {
		graceEnd = time.Time{}
	}
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
	if err == nil {
		if d := time.Until(graceEnd); d > 0 {
			g := time.NewTimer(d)
			select { // never past the deadline; not an error: nothing is in flight
			case <-ctx.Done():
			case <-g.C:
			}
			g.Stop()
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
