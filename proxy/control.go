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

// A control connection per cluster probes it with OPTIONS every second (or
// heartbeat_interval_ms when shorter), whether or not clients are
// connected, so readiness means something on an idle proxy too and follows
// a cluster that freezes or comes back within seconds.

// ProbeState is the outcome of the latest control probe of one cluster.
type ProbeState struct {
	Reachable bool
	At        time.Time // when the probe finished
	LastOK    time.Time // last successful probe (zero if none)
	Err       string    // why the latest probe failed
	Failures  int       // consecutive failed probes
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

// Readiness must follow a cluster within seconds (issue 10): the control
// connection probes every probeEvery, each probe bounded by probeTimeout,
// and a cluster is declared unreachable after failThreshold consecutive
// failed probes, or after one failed probe when client requests to it
// also failed since the last good probe (timed out or lost their
// connection: in-band evidence). One slow answer under load never flips
// readiness on its own; one good probe makes the cluster reachable again.
var (
	probeEvery    = time.Second
	probeTimeout  = 750 * time.Millisecond
	probeRetry    = 250 * time.Millisecond // between probes while failing
	failThreshold = 2
)

// controlDial is a connect-and-login still running in the background: a
// frozen node accepts TCP but never answers STARTUP, and the probe must not
// wait for the handshake timeout to say so. A slow login that outlives one
// probe is picked up by the next instead of being started again.
type controlDial chan controlDialResult

type controlDialResult struct {
	cc  *clusterConn
	err error
}

func (s *Server) controlLoop(c Cluster) {
	var conn net.Conn
	var r *frame.Reader
	var since time.Time // when conn was opened and logged in
	var pending controlDial
	defer func() {
		if conn != nil {
			conn.Close()
		}
		if pending != nil {
			go func() {
				if res := <-pending; res.cc != nil {
					res.cc.conn.Close()
				}
			}()
		}
	}()
	var lastOK time.Time
	fails := 0
	evidence := s.health[c].inBandFailures.Load() + s.health[c].failures.Load()
	for {
		st := s.Settings()
		timeout := min(st.RequestTimeout, probeTimeout)
		err := func() error {
			if conn != nil && time.Since(since) >= controlRelogin {
				conn.Close()
				conn = nil
			}
			if conn == nil {
				if pending == nil {
					pending = make(controlDial, 1)
					go func(ch controlDial) {
						cc, err := s.controlConn(c)
						ch <- controlDialResult{cc, err}
					}(pending)
				}
				t := time.NewTimer(timeout)
				select {
				case res := <-pending:
					t.Stop()
					pending = nil
					if res.err != nil {
						return res.err
					}
					conn, r, since = res.cc.conn, res.cc.r, time.Now()
				case <-t.C:
					return fmt.Errorf("connect and log in to %s: no answer within %s", c, timeout)
				case <-s.closed:
					t.Stop()
					return errors.New("proxy closed")
				}
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
		ev := s.health[c].inBandFailures.Load() + s.health[c].failures.Load()
		prev := s.control[c].p.Load()
		ps := &ProbeState{At: now, LastOK: lastOK}
		if err != nil {
			if conn != nil {
				conn.Close()
				conn = nil
			}
			fails++
			ps.Failures = fails
			ps.Err = err.Error()
			inBand := ev != evidence
			// Reachable until the evidence is in (never before a first
			// success).
			ps.Reachable = prev != nil && prev.Reachable && fails < failThreshold && !inBand
			if !ps.Reachable {
				if inBand && fails < failThreshold {
					ps.Err += " (and client requests to it failed)"
				} else if fails > 1 {
					ps.Err += fmt.Sprintf(" (%d probes in a row)", fails)
				}
			}
			if !ps.Reachable && (prev == nil || prev.Reachable) {
				s.log.Warn("cluster unreachable", "cluster", c.String(), "err", ps.Err)
			}
		} else {
			fails = 0
			evidence = ev
			ps.Reachable = true
			lastOK, ps.LastOK = now, now
			s.health[c].lastHeartbeat.Store(now.UnixNano())
			if prev != nil && !prev.Reachable {
				s.log.Info("cluster reachable again", "cluster", c.String())
			}
		}
		s.control[c].p.Store(ps)
		wait := min(st.HeartbeatInterval, probeEvery)
		if fails > 0 {
			wait = min(wait, probeRetry)
			if fails == 1 {
				wait = min(wait, 50*time.Millisecond) // confirm at once
			}
		}
		select {
		case <-s.closed:
			return
		case <-time.After(wait):
		}
	}
}
