package proxy

import (
	"encoding/binary"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// announceDown sends a STATUS_CHANGE DOWN event for this proxy, with the
// address it presents in system.local, to every client that registered for
// STATUS_CHANGE, so drivers stop sending to it before its connections close.
// It returns how many clients were told.
func (s *Server) announceDown() int {
	s.mu.Lock()
	clients := make([]*clientConn, 0, len(s.clients))
	for c := range s.clients {
		if c.statusEvents.Load() { // set after the handshake: the writer is up
			clients = append(clients, c)
		}
	}
	s.mu.Unlock()
	for _, c := range clients {
		self, _ := s.topology(c.conn.LocalAddr())
		ev := frame.New(c.version|frame.ResponseBit, 0, -1, frame.OpEvent, statusDownBody(self))
		if c.w.Enqueue(ev, -1) == nil {
			_ = c.w.Flush()
		}
	}
	if len(clients) > 0 {
		s.log.Info("told clients this proxy is going down", "clients", len(clients))
	}
	return len(clients)
}

// statusDownBody is an EVENT body: STATUS_CHANGE, DOWN, [inet] of n.
func statusDownBody(n proxyNode) []byte {
	ip := n.ip.To4()
	if ip == nil {
		ip = n.ip.To16()
	}
	b := frame.AppendString(nil, "STATUS_CHANGE")
	b = frame.AppendString(b, "DOWN")
	b = append(b, byte(len(ip)))
	b = append(b, ip...)
	return binary.BigEndian.AppendUint32(b, uint32(n.port))
}
