package proxy

import "github.com/zdmctl/zdmctl/proxy/admin"

// ClusterStatus implements admin.Health from the control connections: a
// cluster is reachable while its latest heartbeat got an answer. In
// DUAL_ASYNC_ON_SECONDARY the secondary is Optional (client connections
// serve without it, its writes journaled: secondaryconn.go), so its being
// down makes the proxy degraded, not unready; DisconnectedConnections
// counts the client connections reconnecting to it.
func (s *Server) ClusterStatus() []admin.ClusterStatus {
	sec, optional := s.optionalSecondary()
	out := make([]admin.ClusterStatus, 0, 2)
	for c := Origin; c <= Target; c++ {
		p := s.Probe(c)
		name := "origin"
		if c == Target {
			name = "target"
		}
		cs := admin.ClusterStatus{Name: name, Reachable: p.Reachable, LastHeartbeat: p.LastOK, Error: p.Err}
		if optional && c == sec {
			cs.Optional = true
		}
		if c == sec {
			// Also after write_mode went back to DUAL_SYNC: those client
			// connections close at their next reconnect attempt.
			cs.DisconnectedConnections = s.secondary.disconnected.Load()
		}
		out = append(out, cs)
	}
	return out
}
