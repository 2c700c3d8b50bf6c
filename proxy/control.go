package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// A control connection per cluster probes it with OPTIONS every
// heartbeat_interval_ms, whether or not clients are connected, so readiness
// means something on an idle proxy too.

// ProbeState is the outcome of the latest control probe of one cluster.
type ProbeState struct {
	Reachable bool
	At        time.Time // when the probe finished
	LastOK    time.Time // last successful probe (zero if none)
	Err       string    // why the cluster is unreachable
}

type controlState struct{ p atomic.Pointer[ProbeState] }

// Probe returns the latest control probe of c; Reachable is false until the
// first probe succeeds.
func (s *Server) Probe(c Cluster) ProbeState {
	if p := s.control[c].p.Load(); p != nil {
		return *p
	}
	return ProbeState{Err: "not probed yet"}
}

func (s *Server) startControl() {
	for c := Origin; c <= Target; c++ {
		go s.controlLoop(c)
	}
}

// controlConn opens the control connection to c and logs in with the
// configured credentials, so that readiness also fails when the cluster
// stops accepting them (a password rotated under a running proxy) and the
// cluster lists the connection as a client. When c asks for credentials
// and none are configured (clients bring their own), the probe runs on a
// connection without a session, as OPTIONS needs none.
func (s *Server) controlConn(c Cluster) (*clusterConn, error) {
	cc, err := s.dialCluster(context.Background(), c)
	if err != nil {
		return nil, err
	}
	err = s.login(cc, c)
	if err == nil {
		return cc, nil
	}
	cc.conn.Close()
	if !errors.Is(err, errNoCredentials) {
		return nil, err
	}
	return s.dialCluster(context.Background(), c)
}

// controlRelogin is how long a control connection is used before it is
// replaced by a new one, logged in afresh: Cassandra keeps an established
// session after a password change, so without this a rotation that breaks
// the configured credentials would show only at the next reconnect.
var controlRelogin = 5 * time.Minute

func (s *Server) controlLoop(c Cluster) {
	var conn net.Conn
	var r *frame.Reader
	var since time.Time // when conn was opened and logged in
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	var lastOK time.Time
	for {
		st := s.Settings()
		timeout := min(st.RequestTimeout, 5*time.Second)
		err := func() error {
			if conn != nil && time.Since(since) >= controlRelogin {
				conn.Close()
				conn = nil
			}
			if conn == nil {
				cc, err := s.controlConn(c)
				if err != nil {
					return err
				}
				conn, r, since = cc.conn, cc.r, time.Now()
			}
			_ = conn.SetDeadline(time.Now().Add(timeout))
			if _, err := conn.Write(frame.New(4, 0, 0, frame.OpOptions, nil)); err != nil {
				return fmt.Errorf("heartbeat to %s: %w", c, err)
			}
			f, err := r.ReadFrame()
			if err != nil {
				return fmt.Errorf("heartbeat to %s (timeout %s): %w", c, timeout, err)
			}
			// SUPPORTED, or an ERROR about the protocol version: either way
			// the node answers.
			if op := f.Opcode(); op != frame.OpSupported && op != frame.OpError {
				return fmt.Errorf("heartbeat to %s: unexpected %s", c, frame.OpcodeName(op))
			}
			return nil
		}()
		now := time.Now()
		ps := &ProbeState{Reachable: err == nil, At: now, LastOK: lastOK}
		if err != nil {
			if conn != nil {
				conn.Close()
				conn = nil
			}
			ps.Err = err.Error()
			if prev := s.control[c].p.Load(); prev == nil || prev.Reachable {
				s.log.Warn("cluster unreachable", "cluster", c.String(), "err", ps.Err)
			}
		} else {
			lastOK, ps.LastOK = now, now
			s.health[c].lastHeartbeat.Store(now.UnixNano())
			if prev := s.control[c].p.Load(); prev != nil && !prev.Reachable {
				s.log.Info("cluster reachable again", "cluster", c.String())
			}
		}
		s.control[c].p.Store(ps)
		select {
		case <-s.closed:
			return
		case <-time.After(s.Settings().HeartbeatInterval):
		}
	}
}
