package proxy

import (
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/zdmctl/zdmctl/proxy/admin"
	"github.com/zdmctl/zdmctl/proxy/peernotice"
)

// peerProbeInterval is how often a proxy polls each peer of
// proxy_topology_addresses (peernotice).
const peerProbeInterval = 500 * time.Millisecond

// peerDownVisible is the least time a shutting-down proxy with peers keeps
// its listener closed before it exits (Shutdown), longer than a poll
// interval so that every peer sees it go, however fast the restart, even
// when it cannot reach its metrics listener (peernotice falls back to the
// CQL port then).
const peerDownVisible = 2*peerProbeInterval + 100*time.Millisecond

// Drivers mark a proxy down while it restarts and, without an event, try
// it again only at their reconnection interval (gocql: 60 s by default);
// and they learn of a drain only from the one node their control
// connection is on. So each proxy tells its own registered clients about
// its peers, as Cassandra nodes do after gossip: DOWN when a peer begins
// to drain, UP when it is ready again (proxy/peernotice). Only with a
// fixed proxy_listen_port (the peers' port) and peers.
func (s *Server) newPeerNotice() *peernotice.Notice {
	if !s.watchesPeers() {
		return nil
	}
	self, peers := s.topology(nil)
	mport := s.cfg.MetricsPort
	if mport == 0 {
		mport = admin.DefaultPort
	}
	byAddr := make(map[string]proxyNode, len(peers))
	ps := make([]peernotice.Peer, 0, len(peers))
	for _, p := range peers {
		byAddr[p.addr()] = p
		ps = append(ps, peernotice.Peer{CQL: p.addr(), HTTP: net.JoinHostPort(p.ip.String(), strconv.Itoa(mport))})
	}
	return peernotice.New(peernotice.Options{
		Self:      self.addr(),
		Peers:     ps,
		Ready:     s.ready,
		Draining:  s.stopping.Load,
		PollEvery: peerProbeInterval,
		Logger:    s.log,
		Token:     s.cfg.PeerNoticeToken,
		Announce: func(change, addr string) int {
			n := byAddr[addr]
			return s.announceStatus(change, func(*clientConn) proxyNode { return n })
		},
	})
}

// watchPeers starts the peer polls (Serve calls it once).
func (s *Server) watchPeers() {
	if s.peers != nil {
		s.peers.Run(s.closed)
	}
}

// PeerHandler serves the peer notices under /health/peer/ (mount it on the
// metrics listener); nil without peers.
func (s *Server) PeerHandler() http.Handler {
	if s.peers == nil {
		return nil
	}
	return s.peers.Handler()
}

// ready: not stopping and every required cluster reachable, as
// /health/readiness (the secondary of DUAL_ASYNC_ON_SECONDARY is optional).
func (s *Server) ready() bool {
	if s.stopping.Load() || s.draining.Load() {
		return false
	}
	return admin.Evaluate(s.ClusterStatus()).Ready
}

// watchesPeers: proxy_topology_addresses names peers and the listen port
// (theirs too) is fixed.
func (s *Server) watchesPeers() bool {
	return s.cfg.ListenPort != 0 && len(s.cfg.TopologyAddresses) > 1
}
