package proxy

import (
	"context"
	"time"
)

// Shutdown drains the proxy so that drivers lose no request:
//
//  1. it stops accepting connections (drivers' reconnects are refused, so
//     they mark this proxy down) and answers every new request with
//     IS_BOOTSTRAPPING: nothing was executed, try another node. The Java
//     driver 4 retries it on the next node whatever the request (OVERLOADED
//     only when idempotent), the Python driver both by default, gocql both
//     only for idempotent statements. Heartbeats (OPTIONS) still succeed;
//  2. it tells clients registered for STATUS_CHANGE that this proxy is DOWN
//     (proxy_shutdown_grace_ms applies only when at least one was told);
//  3. it waits until no request is in flight and either the grace period
//     has passed or every client has closed its connections (a driver that
//     heard the event closes them itself: gocql does about 1 s later);
//  4. it closes every connection that is left;
//  5. with peers in proxy_topology_addresses, it returns no sooner than
//     peerDownVisible after it began, listener closed, so that every peer
//     sees it refuse connections and announces it UP once it is back
//     (peerwatch.go), even when there was nothing to drain.
//
// ctx bounds the whole wait: when it ends first, Shutdown closes everything
// and returns ctx's error if requests were still in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	begun := time.Now()
	defer s.lingerForPeers(ctx, begun)
	s.draining.Store(true)
	s.mu.Lock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.mu.Unlock()
	var graceEnd time.Time
	if s.announceDown() > 0 {
		graceEnd = time.Now().Add(time.Duration(s.cfg.ShutdownGraceMs) * time.Millisecond)
	}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	var err error
	for s.inflight.Load() > 0 || (s.clientCount.Load() > 0 && time.Now().Before(graceEnd)) {
		select {
		case <-ctx.Done():
			if s.inflight.Load() > 0 {
				err = ctx.Err()
			}
			s.Close()
			return err
		case <-t.C:
		}
	}
	s.Close()
	return nil
}

// lingerForPeers waits (within ctx) until peerDownVisible has passed since
// begun when the proxy has peers to notice its restart.
func (s *Server) lingerForPeers(ctx context.Context, begun time.Time) {
	if !s.watchesPeers() {
		return
	}
	d := time.Until(begun.Add(peerDownVisible))
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
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
