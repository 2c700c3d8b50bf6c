package proxy

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// In DUAL_ASYNC_ON_SECONDARY the primary has every write, so a client
// connection does not depend on the secondary: it completes its handshake
// with the primary alone when the secondary does not answer, survives the
// loss of its secondary connection, and reconnects to the secondary in the
// background. While the secondary is down its writes are journaled (reason
// unavailable), async reads are skipped, and requests that go to both
// clusters (PREPARE, USE, DDL) go to the primary alone. In DUAL_SYNC the
// client connection needs both clusters, as before.

// secondaryHandshakeGrace is how much longer than the primary the secondary
// may take to answer a handshake step in DUAL_ASYNC_ON_SECONDARY before the
// client connection goes on without it.
var secondaryHandshakeGrace = 500 * time.Millisecond

// Reconnect backoff of a client connection's secondary connection.
var (
	secondaryRetryMin = 100 * time.Millisecond
	secondaryRetryMax = 5 * time.Second
)

// secondaryReconnectTimeout bounds each exchange of a background reconnect.
const secondaryReconnectTimeout = 5 * time.Second

// errSecondarySlow: the secondary did not answer within the grace period.
var errSecondarySlow = errors.New("no answer within the handshake grace period")

// downConn is the placeholder for a secondary connection that is not up:
// closed, so acquire fails and nothing is sent; flushing it is a no-op.
func (s *Server) downConn(c Cluster) *clusterConn {
	cc := &clusterConn{srv: s, cluster: c, addr: "(down)", w: frame.NewWriter(io.Discard), closed: true}
	cc.dead.Store(true)
	return cc
}

// optionalSecondary reports the cluster a client connection can do without
// right now: the secondary in DUAL_ASYNC_ON_SECONDARY.
func (s *Server) optionalSecondary() (Cluster, bool) {
	st := s.Settings()
	return st.Primary.Other(), st.AsyncWrites
}

// knownDown reports whether the control probe says c is unreachable (not
// merely "not probed yet").
func (s *Server) knownDown(c Cluster) bool {
	p := s.control[c].p.Load()
	return p != nil && !p.Reachable
}

// handshakeStep runs fn for both clusters at once (skipping a cluster whose
// connection is down) and returns their answers. In DUAL_ASYNC_ON_SECONDARY
// the secondary is given secondaryHandshakeGrace after the primary answered;
// past it its error is errSecondarySlow and cancel(sec) is called; its fn
// finishes on its own (its answer is dropped).
func (cc *clientConn) handshakeStep(skip [2]bool, fn func(c Cluster) (frame.Frame, error), cancel func(c Cluster)) (resp [2]frame.Frame, errs [2]error) {
	type result struct {
		f   frame.Frame
		err error
	}
	var ch [2]chan result
	for c := Origin; c <= Target; c++ {
		if skip[c] {
			continue
		}
		ch[c] = make(chan result, 1)
		go func() {
			f, err := fn(c)
			ch[c] <- result{f, err}
		}()
	}
	sec, optional := cc.srv.optionalSecondary()
	for _, c := range [2]Cluster{sec.Other(), sec} {
		if ch[c] == nil {
			continue
		}
		if !optional || c != sec || skip[sec.Other()] {
			r := <-ch[c]
			resp[c], errs[c] = r.f, r.err
			continue
		}
		t := time.NewTimer(secondaryHandshakeGrace)
		select {
		case r := <-ch[c]:
			resp[c], errs[c] = r.f, r.err
		case <-t.C:
			errs[c] = errSecondarySlow
			cancel(c)
		}
		t.Stop()
	}
	return resp, errs
}

// dropSecondary makes a client connection in its handshake go on without
// cluster c: its connection (if any) is closed and replaced by a down
// placeholder. ready() starts the background reconnect.
func (cc *clientConn) dropSecondary(c Cluster, why error) {
	cc.clusterMu.Lock()
	old := cc.cl(c)
	cc.clusters[c].Store(cc.srv.downConn(c))
	cc.clusterMu.Unlock()
	if old != nil {
		old.close()
	}
	cc.srv.health[c].failures.Add(1)
	cc.secondaryDown()
	cc.log.Warn("client connection goes on without the secondary (write_mode DUAL_ASYNC_ON_SECONDARY): its writes are journaled until it reconnects",
		"cluster", c.String(), "err", why.Error())
}

// secondaryDown and secondaryUp count client connections whose secondary is
// disconnected (zdm_secondary_disconnected_connections).
func (cc *clientConn) secondaryDown() {
	if cc.secDown.CompareAndSwap(false, true) {
		cc.srv.secondary.disconnected.Add(1)
	}
}

func (cc *clientConn) secondaryUp() {
	if cc.secDown.CompareAndSwap(true, false) {
		cc.srv.secondary.disconnected.Add(-1)
	}
}

// secondaryLost is called when cluster connection conn fails. In
// DUAL_ASYNC_ON_SECONDARY, when conn is this client's secondary, the client
// connection stays up and the secondary reconnects in the background: it
// returns true. Otherwise the caller closes the client connection.
func (cc *clientConn) secondaryLost(conn *clusterConn, err error) bool {
	sec, optional := cc.srv.optionalSecondary()
	if !optional || conn.cluster != sec {
		return false
	}
	if isClosed(cc.closed) || cc.cl(sec) != conn {
		return true
	}
	cc.secondaryDown()
	cc.log.Warn("secondary connection lost (write_mode DUAL_ASYNC_ON_SECONDARY): the client connection stays up, its writes are journaled until it reconnects",
		"cluster", sec.String(), "err", err.Error())
	go cc.reconnectSecondary(sec)
	return true
}

// reconnectSecondary reopens the connection to secondary c with backoff
// until it is up, the client connection closes, or c is no longer an
// optional secondary (write_mode or primary_cluster changed: then the
// client connection closes, as it would have without DUAL_ASYNC).
func (cc *clientConn) reconnectSecondary(c Cluster) {
	if !cc.reconnecting.CompareAndSwap(false, true) {
		return // a loop is running; it checks the connection it installs
	}
	for {
		cc.reconnectLoop(c)
		cc.reconnecting.Store(false)
		// The connection installed may have failed before it was installed
		// (its secondaryLost saw another connection and did nothing).
		if isClosed(cc.closed) || !cc.cl(c).dead.Load() || !cc.reconnecting.CompareAndSwap(false, true) {
			return
		}
	}
}

func (cc *clientConn) reconnectLoop(c Cluster) {
	wait := secondaryRetryMin
	logged := false
	for {
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-cc.closed:
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, secondaryRetryMax)
		if sec, optional := cc.srv.optionalSecondary(); !optional || sec != c {
			cc.closeWith(fmt.Errorf("%s connection is down and %s is no longer an asynchronous secondary", c, c))
			return
		}
		if cc.srv.knownDown(c) {
			continue // every connection waits for the control probe rather than dialing a down cluster
		}
		conn, err := cc.openSecondary(c)
		if errors.Is(err, errClientCredsRejected) {
			cc.closeWith(fmt.Errorf("%w (the client logged in while %s was down, with credentials it had accepted before)", err, c))
			return
		}
		if err != nil {
			if !logged {
				cc.log.Warn("cannot reconnect to the secondary yet; retrying with backoff", "cluster", c.String(), "err", err.Error())
				logged = true
			}
			continue
		}
		if cc.installSecondary(c, conn) {
			cc.wipeSecToken()
			cc.log.Info("secondary connection up again", "cluster", c.String(), "addr", conn.addr)
		}
		return
	}
}

// openSecondary connects to c and brings the connection to this client's
// state: STARTUP with the client's options, login with the configured
// credentials, its keyspace and event registration.
func (cc *clientConn) openSecondary(c Cluster) (*clusterConn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), secondaryReconnectTimeout)
	defer cancel()
	conn, err := cc.srv.dialCluster(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := cc.prepareSecondary(conn, c); err != nil {
		_ = conn.conn.Close()
		return nil, fmt.Errorf("reconnect to %s %s: %w", c, conn.addr, err)
	}
	return conn, nil
}

func (cc *clientConn) prepareSecondary(conn *clusterConn, c Cluster) error {
	if cc.startupMsg == nil {
		return errors.New("no STARTUP recorded")
	}
	rt := func(f frame.Frame) (frame.Frame, error) { return conn.roundTrip(f, secondaryReconnectTimeout) }
	resp, err := rt(cc.startupMsg)
	if err != nil {
		return err
	}
	switch resp.Opcode() {
	case frame.OpAuthenticate:
		if err := cc.loginSecondary(c, rt); err != nil {
			return err
		}
	case frame.OpReady:
	default:
		return fmt.Errorf("STARTUP answered with %s %s", frame.OpcodeName(resp.Opcode()), frame.ErrorMessage(resp))
	}
	if ks := cc.currentKeyspace(); ks != "" {
		q := `USE "` + strings.ReplaceAll(ks, `"`, `""`) + `"`
		if resp, err = rt(frame.New(cc.version, cc.reqFlags, 0, frame.OpQuery, useBody(cc.version, q))); err != nil {
			return err
		}
		if resp.Opcode() != frame.OpResult {
			return fmt.Errorf("USE %s: %s %s", ks, frame.OpcodeName(resp.Opcode()), frame.ErrorMessage(resp))
		}
	}
	if c == Origin && cc.registered.Load() {
		body := frame.AppendStringList(nil, []string{"SCHEMA_CHANGE"})
		if resp, err = rt(frame.New(cc.version, cc.reqFlags, 0, frame.OpRegister, body)); err != nil {
			return err
		}
		if resp.Opcode() != frame.OpReady {
			return fmt.Errorf("REGISTER: %s", frame.OpcodeName(resp.Opcode()))
		}
	}
	return nil
}

// loginSecondary logs a reconnecting secondary connection in: with the
// client's credentials when it was admitted while the secondary was down
// (secondaryauth.go), else with the configured ones.
func (cc *clientConn) loginSecondary(c Cluster, rt func(frame.Frame) (frame.Frame, error)) error {
	if ok, err := cc.secondaryLogin(c, rt); ok {
		return err
	}
	cfg := cc.srv.clusterCfg(c)
	name := strings.ToLower(c.String())
	if cfg.Username == "" {
		return fmt.Errorf("%s requires authentication and %s_username is not configured (the proxy logs in to a reconnected secondary with the configured credentials)", c, name)
	}
	resp, err := rt(frame.New(cc.version, cc.reqFlags, 0, frame.OpAuthResponse, plainAuthBody(cfg)))
	if err != nil {
		return err
	}
	if resp.Opcode() != frame.OpAuthSuccess {
		return fmt.Errorf("login with %s_username: %s %s", name, frame.OpcodeName(resp.Opcode()), frame.ErrorMessage(resp))
	}
	return nil
}

// useBody is a QUERY body for q at consistency ONE without values.
func useBody(version byte, q string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(q)))
	b = append(b, q...)
	b = append(b, 0, 1) // ONE
	if version >= 5 {
		return binary.BigEndian.AppendUint32(b, 0)
	}
	return append(b, 0)
}

// installSecondary starts conn and makes it this client's connection to c;
// false when the client connection closed meanwhile.
func (cc *clientConn) installSecondary(c Cluster, conn *clusterConn) bool {
	conn.start(cc)
	cc.clusterMu.Lock()
	if isClosed(cc.closed) {
		cc.clusterMu.Unlock()
		conn.close()
		return false
	}
	cc.clusters[c].Store(conn)
	cc.clusterMu.Unlock()
	cc.secondaryUp()
	cc.srv.health[c].lastSuccess.Store(time.Now().UnixNano())
	return true
}

// routeAroundDown adjusts the clusters a client request goes to when one of
// their connections is down. In DUAL_ASYNC_ON_SECONDARY a down secondary is
// left out and the request goes to the primary (r.secondarySkipped); any
// other down connection fails the request with a server error (it is about
// to close the client connection, or write_mode just changed).
func (cc *clientConn) routeAroundDown(r *request, st *Settings, want *[2]bool) bool {
	for c := Origin; c <= Target; c++ {
		if !want[c] || !cc.cl(c).dead.Load() {
			continue
		}
		if st.AsyncWrites && c == st.Primary.Other() && !cc.cl(c.Other()).dead.Load() {
			want[c], want[c.Other()] = false, true
			r.primary = c.Other()
			r.secondarySkipped = true
			continue
		}
		cc.reply(frame.ErrorFrame(cc.version, r.stream, frame.ErrCodeServer, fmt.Sprintf("zdm-proxy: the connection to %s is down", c)), r.stream)
		return false
	}
	return true
}

// dropLostSecondary: in DUAL_ASYNC_ON_SECONDARY a request sent to both
// clusters whose secondary connection broke before it answered gets the
// primary's answer alone.
func (r *request) dropLostSecondary() {
	st := r.cc.srv.Settings()
	p, s := r.primary, r.primary.Other()
	if st.AsyncWrites && p == st.Primary && r.sentTo[p] && r.sentTo[s] && r.lost[s] && !r.lost[p] {
		r.sentTo[s] = false
	}
}
