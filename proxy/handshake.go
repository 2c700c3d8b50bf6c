package proxy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// handshakeTimeout bounds each exchange with a cluster during a client's
// handshake; the client's own time is proxy_handshake_timeout_ms.
const handshakeTimeout = 15 * time.Second

// negativeStreamMsg answers a request on a negative stream id: those are
// the server's (-1 carries events).
const negativeStreamMsg = "stream id must not be negative: negative ids are reserved for server-initiated messages"

// proxyVersions are the protocol versions the proxy speaks.
const minVersion, maxVersion = 3, 5

func unsupportedVersionMsg(v byte) string {
	return fmt.Sprintf("Invalid or unsupported protocol version (%d); supported versions are (3/v3, 4/v4, 5/v5)", v)
}

// writeDirect writes one frame during the handshake, before the writer
// goroutine runs.
func (cc *clientConn) writeDirect(f frame.Frame, stream int16) error {
	out := append(frame.Frame(nil), f...)
	out.SetStream(stream)
	var b []byte = out
	if cc.r.Segmented() {
		b = frame.AppendSegments(nil, out, cc.comp)
	}
	_ = cc.conn.SetWriteDeadline(time.Now().Add(handshakeTimeout))
	_, err := cc.conn.Write(b)
	_ = cc.conn.SetWriteDeadline(time.Time{})
	return err
}

// handshakeError is returned after the client was already told why.
type handshakeError struct{ msg string }

func (e *handshakeError) Error() string { return e.msg }

func (cc *clientConn) fail(stream int16, code int32, msg string) error {
	v := cc.version
	if v < minVersion || v > maxVersion {
		v = 4
	}
	_ = cc.writeDirect(frame.ErrorFrame(v, stream, code, msg), stream)
	return &handshakeError{msg}
}

// handshake runs OPTIONS/STARTUP/AUTH with the client, opening and
// authenticating both cluster connections. On success the client has seen
// READY or AUTH_SUCCESS and the writer and cluster readers are running.
func (cc *clientConn) handshake() error {
	_ = cc.conn.SetReadDeadline(cc.hsDeadline) // proxy_handshake_timeout_ms from accept: admission.go
	defer cc.conn.SetReadDeadline(time.Time{})
	for {
		f, err := cc.readHandshakeFrame()
		if err != nil {
			return err
		}
		v := f.Version()
		if v < minVersion || v > maxVersion {
			cc.version = v
			return cc.fail(f.Stream(), frame.ErrCodeProtocol, unsupportedVersionMsg(v))
		}
		if cc.version != 0 && v != cc.version {
			return cc.fail(f.Stream(), frame.ErrCodeProtocol, "protocol version changed during the handshake")
		}
		cc.version = v
		cc.reqFlags = f.Flags() & frame.FlagBeta
		if f.Stream() < 0 {
			return cc.fail(f.Stream(), frame.ErrCodeProtocol, negativeStreamMsg)
		}
		if cc.srv.draining.Load() {
			return cc.fail(f.Stream(), frame.ErrCodeOverloaded, "zdm-proxy is shutting down")
		}
		switch f.Opcode() {
		case frame.OpOptions:
			if err := cc.openClusters(f.Stream()); err != nil {
				return err
			}
			if err := cc.writeDirect(frame.New(v|frame.ResponseBit, 0, 0, frame.OpSupported, cc.supported), f.Stream()); err != nil {
				return err
			}
		case frame.OpStartup:
			return cc.startup(f)
		default:
			return cc.fail(f.Stream(), frame.ErrCodeProtocol, fmt.Sprintf("expected STARTUP or OPTIONS, got %s", frame.OpcodeName(f.Opcode())))
		}
	}
}

// readHandshakeFrame reads one frame before login; malformed or oversized
// input (over frame.HandshakeMaxBodyLen) is answered with PROTOCOL_ERROR.
func (cc *clientConn) readHandshakeFrame() (frame.Frame, error) {
	f, err := cc.r.ReadFrame()
	if err != nil {
		var pe *frame.ProtocolError
		if errors.As(err, &pe) {
			if cc.version == 0 {
				cc.version = pe.Version
			}
			s := int16(0)
			if pe.HasStream {
				s = pe.Stream
			}
			return nil, cc.fail(s, frame.ErrCodeProtocol, pe.Msg)
		}
		return nil, err
	}
	return f, nil
}

// openClusters dials both clusters and probes them with OPTIONS at the
// client's version, building the SUPPORTED intersection. A cluster that
// rejects the version makes the client see PROTOCOL_ERROR so it downgrades.
// In DUAL_ASYNC_ON_SECONDARY a secondary that is down, or slower than the
// primary by more than secondaryHandshakeGrace, is left out: the client
// connection goes on without it (secondaryconn.go).
func (cc *clientConn) openClusters(stream int16) error {
	if cc.cl(Origin) != nil {
		return nil
	}
	var skip [2]bool
	sec, optional := cc.srv.optionalSecondary()
	if optional && cc.srv.knownDown(sec) {
		skip[sec] = true
	}
	var abandoned [2]atomic.Bool
	sup, errs := cc.handshakeStep(skip, func(c Cluster) (frame.Frame, error) {
		conn, err := cc.srv.dialCluster(context.Background(), c)
		if err != nil {
			return nil, err
		}
		if !cc.setClusterUnless(c, conn, &abandoned[c]) {
			return nil, ErrServerClosed
		}
		return conn.roundTrip(frame.New(cc.version, cc.reqFlags, stream, frame.OpOptions, nil), handshakeTimeout)
	}, func(c Cluster) {
		cc.clusterMu.Lock()
		abandoned[c].Store(true)
		conn := cc.cl(c)
		cc.clusterMu.Unlock()
		if conn != nil {
			conn.close() // unblocks its roundTrip
		}
	})
	for c := Origin; c <= Target; c++ {
		if errors.Is(errs[c], ErrServerClosed) && !abandoned[c].Load() {
			return errs[c] // closed mid-handshake: not the cluster's fault
		}
	}
	if optional && errs[sec.Other()] == nil && sup[sec.Other()].Opcode() == frame.OpSupported {
		why := errs[sec]
		switch {
		case skip[sec]:
			why = errors.New("the control connection reports it unreachable")
		case why == nil && sup[sec].Opcode() != frame.OpSupported:
			why = fmt.Errorf("answered OPTIONS with %s %s", frame.OpcodeName(sup[sec].Opcode()), frame.ErrorMessage(sup[sec]))
		}
		if why != nil {
			cc.dropSecondary(sec, why)
			errs[sec], sup[sec] = nil, sup[sec.Other()]
		}
	}
	for c := Origin; c <= Target; c++ {
		if errs[c] != nil {
			cc.srv.health[c].failures.Add(1)
			cc.log.Warn("cannot reach cluster", "cluster", c.String(), "err", errs[c].Error())
			return cc.fail(stream, frame.ErrCodeServer, fmt.Sprintf("zdm-proxy: cannot reach %s: %v", c, errs[c]))
		}
	}
	for c := Origin; c <= Target; c++ {
		if sup[c].Opcode() == frame.OpError {
			code := frame.ErrorCode(sup[c])
			msg := fmt.Sprintf("%s: %s", c, frame.ErrorMessage(sup[c]))
			if code == frame.ErrCodeProtocol {
				msg = unsupportedVersionMsg(cc.version) + " (" + msg + ")"
			}
			return cc.fail(stream, code, msg)
		}
		if sup[c].Opcode() != frame.OpSupported {
			return cc.fail(stream, frame.ErrCodeProtocol, fmt.Sprintf("%s answered OPTIONS with %s", c, frame.OpcodeName(sup[c].Opcode())))
		}
	}
	cc.supported = intersectSupported(sup[Origin], sup[Target])
	return nil
}

// intersectSupported keeps, for keys both clusters report, the values both
// support; COMPRESSION and PROTOCOL_VERSIONS are also limited to what the
// proxy itself handles.
func intersectSupported(a, b frame.Frame) []byte {
	ma := (&frame.Cursor{B: a.Body()}).StringMultimap()
	mb := (&frame.Cursor{B: b.Body()}).StringMultimap()
	out := map[string][]string{}
	for k, va := range ma {
		vb, ok := mb[k]
		if !ok {
			out[k] = va
			continue
		}
		var keep []string
		for _, x := range va {
			for _, y := range vb {
				if strings.EqualFold(x, y) && proxySupports(k, x) {
					keep = append(keep, x)
					break
				}
			}
		}
		out[k] = keep
	}
	for k, vb := range mb {
		if _, ok := ma[k]; !ok {
			out[k] = vb
		}
	}
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	body := []byte{byte(len(keys) >> 8), byte(len(keys))}
	for _, k := range keys {
		body = frame.AppendString(body, k)
		body = frame.AppendStringList(body, out[k])
	}
	return body
}

func proxySupports(key, v string) bool {
	switch key {
	case "COMPRESSION":
		return v == "lz4" || v == "snappy"
	case "PROTOCOL_VERSIONS":
		n, err := strconv.Atoi(strings.SplitN(v, "/", 2)[0])
		return err == nil && n >= minVersion && n <= maxVersion
	}
	return true
}

// startup forwards STARTUP (without compression, which the proxy does only
// on the client side) to both clusters and runs authentication.
func (cc *clientConn) startup(f frame.Frame) error {
	stream := f.Stream()
	msg, err := frame.RequestMessage(f)
	if err != nil {
		return cc.fail(stream, frame.ErrCodeProtocol, "malformed STARTUP")
	}
	cur := frame.Cursor{B: msg}
	opts := cur.StringMap()
	if cur.Err != nil {
		return cc.fail(stream, frame.ErrCodeProtocol, "malformed STARTUP options")
	}
	comp, err := frame.NewCompressor(opts["COMPRESSION"])
	if err != nil || (comp != nil && cc.version >= 5 && comp.Name() != "lz4") {
		return cc.fail(stream, frame.ErrCodeProtocol, fmt.Sprintf("unsupported compression %q", opts["COMPRESSION"]))
	}
	cc.log.Debug("client STARTUP", "version", cc.version, "compression", opts["COMPRESSION"], "driver", opts["DRIVER_NAME"], "driver_version", opts["DRIVER_VERSION"])
	if err := cc.openClusters(stream); err != nil {
		return err
	}
	keys := make([]string, 0, len(opts))
	for k := range opts {
		if k != "COMPRESSION" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	startup := frame.New(cc.version, cc.reqFlags, stream, frame.OpStartup, frame.AppendStringMap(nil, keys, opts))

	cc.startupMsg = startup
	var skip [2]bool
	for c := Origin; c <= Target; c++ {
		skip[c] = cc.cl(c).dead.Load() // left out by openClusters
	}
	resp, errs := cc.handshakeStep(skip, func(c Cluster) (frame.Frame, error) {
		return cc.cl(c).roundTrip(startup, handshakeTimeout)
	}, func(c Cluster) { cc.cl(c).close() })
	if sec, optional := cc.srv.optionalSecondary(); optional && !skip[sec] && errs[sec.Other()] == nil && resp[sec.Other()].Opcode() != frame.OpError {
		why := errs[sec]
		if why == nil && resp[sec].Opcode() == frame.OpError {
			why = fmt.Errorf("STARTUP: %s", frame.ErrorMessage(resp[sec]))
		}
		if why != nil {
			cc.dropSecondary(sec, why)
			errs[sec], resp[sec], skip[sec] = nil, nil, true
		}
	}
	for c := Origin; c <= Target; c++ {
		if skip[c] {
			continue
		}
		if errs[c] != nil {
			return cc.fail(stream, frame.ErrCodeServer, fmt.Sprintf("zdm-proxy: %s handshake failed: %v", c, errs[c]))
		}
		if resp[c].Opcode() == frame.OpError {
			return cc.fail(stream, frame.ErrorCode(resp[c]), fmt.Sprintf("%s: %s", c, frame.ErrorMessage(resp[c])))
		}
	}
	cc.srv.noteAuth(resp)
	// DUAL_ASYNC_ON_SECONDARY: the secondary that checks the client's
	// credentials is down; see secondaryauth.go.
	if sec, ok := cc.checkerDown(skip, resp); ok {
		cc.comp = comp
		cc.r.SetCompressor(comp)
		return cc.authWithoutSecondary(sec, stream, resp[sec.Other()].Opcode() == frame.OpAuthenticate)
	}
	// The client authenticates against Target when both need auth, else the
	// one that does; the proxy uses configured credentials for the other.
	clientAuth := Cluster(-1)
	if resp[Target] != nil && resp[Target].Opcode() == frame.OpAuthenticate {
		clientAuth = Target
	} else if resp[Origin] != nil && resp[Origin].Opcode() == frame.OpAuthenticate {
		clientAuth = Origin
	}
	for c := Origin; c <= Target; c++ {
		if c != clientAuth && resp[c] != nil && resp[c].Opcode() == frame.OpAuthenticate {
			if err := cc.proxyAuth(c, stream); err != nil {
				return err
			}
		}
	}
	cc.comp = comp
	cc.r.SetCompressor(comp)
	if clientAuth < 0 {
		if err := cc.promote(stream); err != nil {
			return err
		}
		if err := cc.writeDirect(frame.New(cc.version|frame.ResponseBit, 0, 0, frame.OpReady, nil), stream); err != nil {
			return err
		}
		return cc.ready()
	}
	if err := cc.writeDirect(resp[clientAuth], stream); err != nil {
		return err
	}
	return cc.relayAuth(clientAuth, nil)
}

func (cc *clientConn) switchLayout() {
	if cc.version >= 5 {
		cc.r.SetSegmented(true)
	}
}

// proxyAuth logs into cluster c with the configured credentials.
func (cc *clientConn) proxyAuth(c Cluster, stream int16) error {
	cfg := cc.srv.clusterCfg(c)
	name := strings.ToLower(c.String())
	if cfg.Username == "" {
		return cc.fail(stream, frame.ErrCodeBadCreds, fmt.Sprintf("zdm-proxy: %s requires authentication but %s_username is not configured", c, name))
	}
	resp, err := cc.cl(c).roundTrip(frame.New(cc.version, cc.reqFlags, stream, frame.OpAuthResponse, plainAuthBody(cfg)), handshakeTimeout)
	if err != nil {
		return cc.fail(stream, frame.ErrCodeServer, fmt.Sprintf("zdm-proxy: %s authentication failed: %v", c, err))
	}
	switch resp.Opcode() {
	case frame.OpAuthSuccess:
		return nil
	case frame.OpError:
		cc.log.Warn("cluster rejected the configured credentials", "cluster", c.String(), "username_key", name+"_username")
		return cc.fail(stream, frame.ErrCodeBadCreds, fmt.Sprintf("zdm-proxy: %s rejected the credentials configured in %s_username/%s_password: %s", c, name, name, frame.ErrorMessage(resp)))
	}
	return cc.fail(stream, frame.ErrCodeBadCreds, fmt.Sprintf("zdm-proxy: %s answered the credentials with %s", c, frame.OpcodeName(resp.Opcode())))
}

// relayAuth passes the client's SASL exchange through to cluster c,
// starting with first when it is not nil (already read from the client).
// The credentials of a one-round exchange are remembered when c accepts
// them and forgotten when c refuses them (secondaryauth.go).
func (cc *clientConn) relayAuth(c Cluster, first frame.Frame) error {
	if first == nil {
		cc.switchLayout()
	}
	for round := 0; ; round++ {
		f := first
		first = nil
		if f == nil {
			var err error
			if f, err = cc.readAuthResponse(); err != nil {
				return err
			}
		}
		var token []byte
		if round == 0 {
			token = clientToken(f)
		}
		resp, err, done := cc.secondaryAuthRoundTrip(c, f, token)
		if done {
			return err
		}
		if err != nil {
			return cc.fail(f.Stream(), frame.ErrCodeServer, fmt.Sprintf("zdm-proxy: %s authentication failed: %v", c, err))
		}
		switch resp.Opcode() {
		case frame.OpAuthChallenge:
			if err := cc.writeDirect(resp, f.Stream()); err != nil {
				return err
			}
		case frame.OpAuthSuccess:
			if token != nil {
				cc.srv.creds[c].add(token)
			}
			if err := cc.promote(f.Stream()); err != nil {
				return err
			}
			if err := cc.writeDirect(resp, f.Stream()); err != nil {
				return err
			}
			return cc.ready()
		default:
			if token != nil && resp.Opcode() == frame.OpError && frame.ErrorCode(resp) == frame.ErrCodeBadCreds {
				cc.srv.creds[c].remove(token)
			}
			_ = cc.writeDirect(resp, f.Stream())
			return &handshakeError{fmt.Sprintf("%s rejected the client's credentials", c)}
		}
	}
}

// readAuthResponse reads the client's next AUTH_RESPONSE.
func (cc *clientConn) readAuthResponse() (frame.Frame, error) {
	f, err := cc.readHandshakeFrame()
	if err != nil {
		return nil, err
	}
	if f.Stream() < 0 {
		return nil, cc.fail(f.Stream(), frame.ErrCodeProtocol, negativeStreamMsg)
	}
	if f.Opcode() != frame.OpAuthResponse {
		return nil, cc.fail(f.Stream(), frame.ErrCodeProtocol, fmt.Sprintf("expected AUTH_RESPONSE, got %s", frame.OpcodeName(f.Opcode())))
	}
	return f, nil
}

// ready starts the steady state: writer and cluster readers.
func (cc *clientConn) ready() error {
	cc.switchLayout()
	cc.w.Configure(cc.r.Segmented(), cc.comp)
	cc.writerUp.Store(true)
	cc.w.OnError(func(err error) { go cc.closeWith(err) })
	for c := Origin; c <= Target; c++ {
		conn := cc.cl(c)
		if conn.dead.Load() { // left out in DUAL_ASYNC_ON_SECONDARY
			go cc.reconnectSecondary(c)
			continue
		}
		conn.start(cc)
		cc.srv.health[c].lastSuccess.Store(time.Now().UnixNano())
	}
	return nil
}
