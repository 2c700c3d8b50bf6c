package proxy

import (
	"time"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// heartbeatLoop sends OPTIONS on cluster connections idle for longer than
// heartbeat_interval_ms, and records each cluster's last good answer.
func (s *Server) heartbeatLoop() {
	for {
		iv := s.Settings().HeartbeatInterval
		tick := min(iv/4, time.Second)
		if tick <= 0 {
			tick = time.Second
		}
		select {
		case <-s.closed:
			return
		case <-time.After(tick):
		}
		iv = s.Settings().HeartbeatInterval
		now := time.Now().UnixNano()
		for _, cc := range s.clusterConns() {
			if now-cc.lastSend.Load() < int64(iv) || !cc.hbOut.CompareAndSwap(false, true) {
				continue
			}
			id, ok := cc.acquire(heartbeat{cc})
			if !ok {
				cc.hbOut.Store(false)
				continue
			}
			_ = cc.send(frame.New(cc.version(), cc.owner.reqFlags, 0, frame.OpOptions, nil), id)
		}
	}
}

type heartbeat struct{ cc *clusterConn }

func (h heartbeat) onResponse(c Cluster, f frame.Frame) {
	h.cc.hbOut.Store(false)
	if f != nil && f.Opcode() == frame.OpSupported {
		now := time.Now().UnixNano()
		h.cc.srv.health[c].lastHeartbeat.Store(now)
		h.cc.srv.health[c].lastSuccess.Store(now)
	}
}
