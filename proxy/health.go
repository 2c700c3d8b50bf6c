package proxy

import "github.com/zdmctl/zdmctl/proxy/admin"

// ClusterStatus implements admin.Health from the control connections: a
// cluster is reachable while its latest heartbeat got an answer.
func (s *Server) ClusterStatus() []admin.ClusterStatus {
	out := make([]admin.ClusterStatus, 0, 2)
	for c := Origin; c <= Target; c++ {
		p := s.Probe(c)
		name := "origin"
		if c == Target {
			name = "target"
		}
		out = append(out, admin.ClusterStatus{Name: name, Reachable: p.Reachable, LastHeartbeat: p.LastOK, Error: p.Err})
	}
	return out
}
