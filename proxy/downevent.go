package proxy

import (
	"encoding/binary"
	"net"
	"strconv"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// announceDown sends a STATUS_CHANGE DOWN event for this proxy, with the
// address it presents in system.local, to every client that registered for
// STATUS_CHANGE, so drivers stop sending to it before its connections close.
// It returns how many clients were told.
func (s *Server) announceDown() int {
	n := s.announceStatus("DOWN", func(c *clientConn) proxyNode {
		self, _ := s.topology(c.conn.LocalAddr())
		return self
	})
	if n > 0 {
		s.log.Info("told clients this proxy is going down", "clients", n)
	}
	return n
}

// announceStatus sends STATUS_CHANGE change (UP or DOWN) for the node
// nodeFor returns to every client registered for STATUS_CHANGE and returns
// how many were told.
func (s *Server) announceStatus(change string, nodeFor func(*clientConn) proxyNode) int {
	s.mu.Lock()
	clients := make([]*clientConn, 0, len(s.clients))
	for c := range s.clients {
		if c.statusEvents.Load() { // set after the handshake: the writer is up
			clients = append(clients, c)
		}
	}
	s.mu.Unlock()
	for _, c := range clients {
		ev := frame.New(c.version|frame.ResponseBit, 0, -1, frame.OpEvent, statusChangeBody(change, nodeFor(c)))
		if c.w.Enqueue(ev, -1) == nil {
			_ = c.w.Flush()
		}
	}
	return len(clients)
}

// statusChangeBody is an EVENT body: STATUS_CHANGE, change, [inet] of n.
func statusChangeBody(change string, n proxyNode) []byte {
	ip := n.ip.To4()
	if ip == nil {
		ip = n.ip.To16()
	}
	b := frame.AppendString(nil, "STATUS_CHANGE")
	b = frame.AppendString(b, change)
	b = append(b, byte(len(ip)))
	b = append(b, ip...)
	return binary.BigEndian.AppendUint32(b, uint32(n.port))
}

// addr is the node's host:port.
func (n proxyNode) addr() string {
	return net.JoinHostPort(n.ip.String(), strconv.Itoa(n.port))
}
