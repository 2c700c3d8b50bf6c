package proxy

import (
	"context"
	"time"
)

// Shutdown stops the proxy so that drivers lose as few requests as they
// can (proxy/OPERATIONS.md, "Restarts under load"):
//
//  1. it tells every peer of proxy_topology_addresses that it is draining
//     (peernotice: each sends STATUS_CHANGE DOWN for it to its own
//     registered clients, which are most drivers' control connections);
//     an unreachable peer costs at most the notice's timeout (500 ms);
//  2. it stops accepting connections (a driver's reconnect is refused, so
//     it marks this proxy down) and tells its own clients registered for
//     STATUS_CHANGE that it is DOWN;
//  3. if anyone was told, it keeps serving requests as usual until its
//     clients have closed their connections or proxy_shutdown_grace_ms has
//     passed: a driver goes on sending until it acts on the event (gocql:
//     1 s later, when it closes its connections itself), and a request
//     answered with an error meanwhile is lost unless the driver may retry
//     it;
//  4. it answers every new request with IS_BOOTSTRAPPING (nothing was
//     executed, try another node: the Java driver 4 retries it on the next
//     node whatever the request, OVERLOADED only when idempotent; the
//     Python driver both by default; gocql both only for idempotent
//     statements) and waits until no request is in flight; heartbeats
//     (OPTIONS) still succeed;
//  5. it closes the connections left;
//  6. with peers, it returns no sooner than peerDownVisible after it
//     began, listener closed, so that every peer sees it go even without
//     the notice and announces it UP once it is ready again; unless every
//     peer acknowledged the notice of step 1: each has then marked it DOWN
//     and announces it UP when its polls see it ready again, so the
//     linger would protect nothing (a restart is that much shorter).
//
// ctx bounds the whole wait: when it ends first, Shutdown closes everything
// and returns ctx's error if requests were still in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	begun := time.Now()
	peersTold := 0
	defer func() {
		if s.peersAllTold(peersTold) {
			s.log.Info("every peer proxy acknowledged the drain: no linger for their polls", "peers", peersTold)
			return
		}
		s.lingerForPeers(ctx, begun)
	}()
	s.stopping.Store(true)
	if s.peers != nil {
		peersTold = s.peers.Drain(ctx)
		s.log.Info("told peer proxies this one is draining", "peers", peersTold, "of", s.peers.Len())
	}
	s.mu.Lock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.mu.Unlock()
	if s.announceDown() > 0 || peersTold > 0 {
		graceEnd := time.Now().Add(time.Duration(s.cfg.ShutdownGraceMs) * time.Millisecond)
		s.waitWhile(ctx, func() bool { return s.clientCount.Load() > 0 && time.Now().Before(graceEnd) })
	}
	s.draining.Store(true)
	s.waitWhile(ctx, func() bool { return s.inflight.Load() > 0 })
	var err error
	if s.inflight.Load() > 0 {
		err = ctx.Err()
	}
	s.Close()
	return err
}

// waitWhile polls cond until it is false or ctx ends.
func (s *Server) waitWhile(ctx context.Context, cond func() bool) {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for cond() {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// peersAllTold: the proxy has peers and every one of them acknowledged
// the draining notice (peernotice.Drain), so each marked this proxy DOWN
// (no older poll of theirs can undo it) and will announce it UP on
// readiness: no peer depends on seeing its listener closed.
func (s *Server) peersAllTold(told int) bool {
	return s.peers != nil && s.peers.Len() > 0 && told == s.peers.Len()
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
