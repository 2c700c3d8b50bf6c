package proxy

import (
	"net"
	"time"
)

// peerProbeInterval is how often a proxy checks that each peer of
// proxy_topology_addresses accepts connections.
const peerProbeInterval = 500 * time.Millisecond

// peerDownVisible is the least time a shutting-down proxy with peers keeps
// its listener closed before it exits (Shutdown), longer than a probe
// interval so that every peer sees it refuse at least once, however fast
// the restart.
const peerDownVisible = 2*peerProbeInterval + 100*time.Millisecond

// watchPeers makes a restarted peer usable again at once: drivers mark a
// proxy down while it restarts and, without an event, try it again only
// at their reconnection interval (gocql: 60 s by default), so a rolling
// restart faster than that leaves them fewer proxies after each step and
// none after the last. A real Cassandra node announces a restarted peer
// with STATUS_CHANGE UP; so does the proxy, to its clients registered for
// STATUS_CHANGE, when a peer that refused connections accepts them again.
// Only with a fixed proxy_listen_port (the peers' port) and peers.
func (s *Server) watchPeers() {
	if !s.watchesPeers() {
		return
	}
	_, peers := s.topology(nil)
	for _, p := range peers {
		go s.watchPeer(p)
	}
}

// watchesPeers: proxy_topology_addresses names peers and the listen port
// (theirs too) is fixed.
func (s *Server) watchesPeers() bool {
	return s.cfg.ListenPort != 0 && len(s.cfg.TopologyAddresses) > 1
}

func (s *Server) watchPeer(p proxyNode) {
	addr := p.addr()
	t := time.NewTicker(peerProbeInterval)
	defer t.Stop()
	up := probePeer(addr)
	for {
		select {
		case <-s.closed:
			return
		case <-t.C:
		}
		if s.stopping.Load() || s.draining.Load() {
			return
		}
		ok := probePeer(addr)
		if ok && !up {
			n := s.announceStatus("UP", func(*clientConn) proxyNode { return p })
			s.log.Info("peer proxy accepts connections again: told clients it is up", "peer", addr, "clients", n)
		} else if !ok && up {
			s.log.Info("peer proxy refuses connections", "peer", addr)
		}
		up = ok
	}
}

// probePeer reports whether addr accepts a TCP connection; it closes it
// before sending anything (the peer logs nothing for that).
func probePeer(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, peerProbeInterval)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
