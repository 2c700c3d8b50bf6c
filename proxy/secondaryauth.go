package proxy

import (
	"errors"
	"fmt"
	"time"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// Logging in while the secondary that checks the client's credentials is
// down (DUAL_ASYNC_ON_SECONDARY). The client's credentials go to Target
// when both clusters ask for them, else to the one that asks; when that
// cluster is the secondary and it is down during a client's login (refused,
// dropped from the handshake, or not answering the credentials within
// secondaryAuthWait), the proxy accepts the credentials it saw that cluster
// accept since the proxy started (verifiedCreds, credset.go) and logs into
// the primary with the configured credentials, as it does with both up.
// Other credentials are checked by the primary when it asks for credentials
// (the behaviour before this: a client whose credentials are the same on
// both clusters logs in), else refused with BAD_CREDENTIALS. When the
// secondary is back, a connection admitted this way logs into it with the
// client's credentials (held by the connection until then): accepted, the
// connection goes on; refused, the client connection is closed.

// secondaryAuthWait is how long the secondary may take to answer a client's
// credentials it accepted before, after which the client is admitted without
// it.
var secondaryAuthWait = 2 * time.Second

// errClientCredsRejected: the reconnected secondary refused the credentials
// of a client admitted while it was down.
var errClientCredsRejected = errors.New("refused the client's credentials")

// noteAuth records whether each cluster that answered STARTUP asks for
// credentials.
func (s *Server) noteAuth(resp [2]frame.Frame) {
	for c := Origin; c <= Target; c++ {
		if resp[c] != nil {
			s.noteAuthAnswer(c, resp[c])
		}
	}
}

func (s *Server) noteAuthAnswer(c Cluster, resp frame.Frame) {
	switch resp.Opcode() {
	case frame.OpAuthenticate:
		b := append([]byte(nil), resp.Body()...)
		s.authAsk[c].Store(&b)
		s.authKnown[c].Store(true)
	case frame.OpReady:
		s.authAsk[c].Store(nil)
		s.authKnown[c].Store(true)
	}
}

// passwordAuthenticator is the AUTHENTICATE body of a cluster not seen yet.
var passwordAuthenticator = frame.AppendString(nil, "org.apache.cassandra.auth.PasswordAuthenticator")

// asksCredentials reports the AUTHENTICATE body cluster c answered STARTUP
// with when last seen; nil if it asked for none. Not seen since the proxy
// started (down from the start), c is taken to ask for credentials when
// <c>_username is configured.
func (s *Server) asksCredentials(c Cluster) []byte {
	if !s.authKnown[c].Load() {
		if s.clusterCfg(c).Username != "" {
			return passwordAuthenticator
		}
		return nil
	}
	if b := s.authAsk[c].Load(); b != nil {
		return *b
	}
	return nil
}

// checkerDown reports the secondary when it is down (skip) in
// DUAL_ASYNC_ON_SECONDARY and it is the cluster that checks the client's
// credentials: it asks for credentials (asksCredentials) and it is Target
// or the primary does not ask for them.
func (cc *clientConn) checkerDown(skip [2]bool, resp [2]frame.Frame) (Cluster, bool) {
	sec, optional := cc.srv.optionalSecondary()
	if !optional || !skip[sec] || cc.srv.asksCredentials(sec) == nil {
		return 0, false
	}
	p := resp[sec.Other()]
	primaryAuth := p != nil && p.Opcode() == frame.OpAuthenticate
	return sec, sec == Target || !primaryAuth
}

// authWithoutSecondary runs the client's login with secondary sec down:
// AUTHENTICATE as sec last asked, then the client's AUTH_RESPONSE.
func (cc *clientConn) authWithoutSecondary(sec Cluster, stream int16, primaryAuth bool) error {
	ask := cc.srv.asksCredentials(sec)
	if err := cc.writeDirect(frame.New(cc.version|frame.ResponseBit, 0, 0, frame.OpAuthenticate, ask), stream); err != nil {
		return err
	}
	cc.switchLayout()
	f, err := cc.readAuthResponse()
	if err != nil {
		return err
	}
	if token := clientToken(f); token != nil && cc.srv.creds[sec].has(token) {
		if primaryAuth {
			if err := cc.proxyAuth(sec.Other(), f.Stream()); err != nil {
				return err
			}
		}
		return cc.admitVerified(sec, token, f.Stream())
	}
	if primaryAuth {
		return cc.relayAuth(sec.Other(), f) // the primary checks them itself
	}
	cc.log.Info("client login refused: the cluster that checks credentials is down and has not accepted these since the proxy started",
		"cluster", sec.String(), "client", cc.conn.RemoteAddr().String())
	return cc.fail(f.Stream(), frame.ErrCodeBadCreds, fmt.Sprintf(
		"zdm-proxy: %s, which checks the credentials, is unreachable and has not accepted these credentials since the proxy started", sec))
}

// secondaryAuthRoundTrip sends the client's AUTH_RESPONSE f to cluster c.
// When c is the secondary in DUAL_ASYNC_ON_SECONDARY and does not answer
// within secondaryAuthWait, fails, or answers with an error other than
// BAD_CREDENTIALS, and token is a credential it accepted before, the client
// is admitted without it: done is true and err the outcome of the login.
func (cc *clientConn) secondaryAuthRoundTrip(c Cluster, f frame.Frame, token []byte) (resp frame.Frame, err error, done bool) {
	conn := cc.cl(c)
	if sec, optional := cc.srv.optionalSecondary(); !optional || c != sec || token == nil {
		resp, err = conn.roundTrip(f, handshakeTimeout)
		return resp, err, false
	}
	type result struct {
		f   frame.Frame
		err error
	}
	ch := make(chan result, 1)
	go func() {
		r, err := conn.roundTrip(f, handshakeTimeout)
		ch <- result{r, err}
	}()
	t := time.NewTimer(secondaryAuthWait)
	defer t.Stop()
	var why error
	select {
	case r := <-ch:
		if r.err == nil && (r.f.Opcode() != frame.OpError || frame.ErrorCode(r.f) == frame.ErrCodeBadCreds) {
			return r.f, nil, false
		}
		if why = r.err; why == nil {
			why = fmt.Errorf("answered the credentials with %s", frame.ErrorMessage(r.f))
		}
		if !cc.srv.creds[c].has(token) {
			return r.f, r.err, false
		}
	case <-t.C:
		if !cc.srv.creds[c].has(token) {
			r := <-ch // as without a secondary to spare: wait for it
			return r.f, r.err, false
		}
		why = fmt.Errorf("no answer to the client's credentials within %v", secondaryAuthWait)
	}
	cc.dropSecondary(c, why)
	return nil, cc.admitVerified(c, token, f.Stream()), true
}

// admitVerified completes the login of a client whose credentials token
// secondary sec accepted before; the primary is logged in.
func (cc *clientConn) admitVerified(sec Cluster, token []byte, stream int16) error {
	tok := append([]byte(nil), token...)
	cc.secToken.Store(&tok)
	if err := cc.promote(stream); err != nil {
		return err
	}
	cc.log.Info("client logged in with credentials the secondary accepted before (it is down; write_mode DUAL_ASYNC_ON_SECONDARY)",
		"cluster", sec.String(), "client", cc.conn.RemoteAddr().String())
	if err := cc.writeDirect(frame.New(cc.version|frame.ResponseBit, 0, 0, frame.OpAuthSuccess, []byte{0xff, 0xff, 0xff, 0xff}), stream); err != nil {
		return err
	}
	return cc.ready()
}

// clientToken is the SASL token of the client's AUTH_RESPONSE f.
func clientToken(f frame.Frame) []byte {
	msg, err := frame.RequestMessage(f)
	if err != nil {
		return nil
	}
	return authToken(msg)
}

// secondaryLogin logs a reconnected secondary connection in with the
// credentials of a client admitted while it was down (secToken); ok is
// false when there are none (the configured credentials are used).
func (cc *clientConn) secondaryLogin(c Cluster, rt func(frame.Frame) (frame.Frame, error)) (ok bool, err error) {
	tok := cc.secToken.Load()
	if tok == nil {
		return false, nil
	}
	body := appendU32(nil, uint32(len(*tok)))
	resp, err := rt(frame.New(cc.version, cc.reqFlags, 0, frame.OpAuthResponse, append(body, *tok...)))
	if err != nil {
		return true, err
	}
	switch {
	case resp.Opcode() == frame.OpAuthSuccess:
		cc.srv.creds[c].add(*tok)
		return true, nil
	case resp.Opcode() == frame.OpError && frame.ErrorCode(resp) == frame.ErrCodeBadCreds:
		cc.srv.creds[c].remove(*tok)
		return true, fmt.Errorf("%s %w: %s", c, errClientCredsRejected, frame.ErrorMessage(resp))
	}
	return true, fmt.Errorf("login with the client's credentials: %s %s", frame.OpcodeName(resp.Opcode()), frame.ErrorMessage(resp))
}

// wipeSecToken forgets the client's credentials once the secondary is back
// (called by the reconnect goroutine, their only other reader).
func (cc *clientConn) wipeSecToken() {
	if tok := cc.secToken.Swap(nil); tok != nil {
		clear(*tok)
	}
}
