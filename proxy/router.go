package proxy

import (
	"time"

	"github.com/zdmctl/zdmctl/proxy/classify"
	"github.com/zdmctl/zdmctl/proxy/frame"
	"github.com/zdmctl/zdmctl/proxy/nowfunc"
)

// builder appends the frame to send to cluster c with cluster stream id.
type builder func(dst []byte, c Cluster, stream int16) []byte

func forwardAs(f frame.Frame) builder {
	return func(dst []byte, _ Cluster, stream int16) []byte {
		start := len(dst)
		dst = append(dst, f...)
		frame.Frame(dst[start:]).SetStream(stream)
		return dst
	}
}

// handle routes one request frame after the handshake.
func (cc *clientConn) handle(f frame.Frame) {
	stream := f.Stream()
	// Draining: IS_BOOTSTRAPPING, which the Java and Python drivers retry
	// elsewhere even when not idempotent (shutdown.go); heartbeats (OPTIONS)
	// still succeed, or drivers close the connection under requests in flight.
	if cc.srv.draining.Load() && f.Opcode() != frame.OpOptions {
		cc.reply(frame.ErrorFrame(cc.version, stream, frame.ErrCodeBootstrap, "zdm-proxy is shutting down; retry on another node"), stream)
		return
	}
	msg, err := frame.RequestMessage(f)
	if err != nil {
		cc.protocolError(stream, "malformed custom payload")
		return
	}
	msgOff := len(f.Body()) - len(msg)
	st := cc.srv.Settings()
	var nowP *nowfunc.Prepared
	if cc.srv.now != nil { // replace_cql_functions: nowrewrite.go
		f, msg, nowP = cc.rewriteNow(f, msg, msgOff)
	}
	switch f.Opcode() {
	case frame.OpOptions:
		cc.reply(frame.New(cc.version|frame.ResponseBit, 0, stream, frame.OpSupported, cc.supported), stream)
	case frame.OpRegister:
		cc.handleRegister(f, msg)
	case frame.OpQuery:
		cc.handleQuery(f, msg, st)
	case frame.OpPrepare:
		q, err := classify.QueryString(msg)
		if err != nil {
			cc.protocolError(stream, "malformed PREPARE")
			return
		}
		stmt := classify.Query(q)
		r := cc.newRequest(f, stmt.Kind, st.Primary)
		r.prepared = &stmt
		if nowP != nil {
			r.transform = cc.stripPrepared(nowP)
		}
		if cc.systemTable(stmt) == "peers_v2" {
			cc.reply(frame.ErrorFrame(cc.version, stream, frame.ErrCodeInvalid, "unconfigured table peers_v2"), stream)
			return
		}
		r.preparedQuery = string(q) // system tables; async read mismatch logs
		cc.send(r, st, true, true, forwardAs(f))
	case frame.OpExecute:
		id, _, err := classify.ExecuteID(msg)
		if err != nil {
			cc.protocolError(stream, "malformed EXECUTE")
			return
		}
		e := cc.srv.ps.get(id)
		if e == nil {
			cc.srv.psMiss.Add(1)
			cc.reply(frame.UnpreparedFrame(cc.version, stream, id), stream)
			return
		}
		if isWrite(e.stmt.Kind) {
			f, msg = cc.ensureTimestamp(f, msg, msgOff)
		}
		r := cc.newRequest(f, e.stmt.Kind, st.Primary)
		r.clientID = e.clientID
		b := func(dst []byte, c Cluster, s int16) []byte { return appendExecuteFor(dst, f, msgOff, e, c, s) }
		if e.stmt.Kind.IsRead() {
			if e.query != "" && cc.systemTable(e.stmt) != "" {
				cc.answerSystemTable(r, cc.systemTable(e.stmt), []byte(e.query), st)
				return
			}
			if cc.isSystem(e.stmt.Keyspace) {
				r.primary = st.SystemQueries
				cc.send(r, st, r.primary == Origin, r.primary == Target, b)
				return
			}
			r.stmt = e.query
			if sec := st.Primary.Other(); st.DualAsyncReads && e.ids[sec] == nil {
				// Prepared while the secondary was down (asyncprepare.go):
				// no replay there until it is prepared there too.
				cc.reprepare(e, sec)
				cc.send(r, st, st.Primary == Origin, st.Primary == Target, b)
				return
			}
			if st.DualAsyncReads && cc.srv.logValues.Load() {
				r.values = boundValues(frame.OpExecute, cc.version, msg)
			}
			cc.sendRead(r, st, b)
			return
		}
		if isWrite(e.stmt.Kind) {
			cc.sendWrite(r, st, b, f, msgOff, e, nil)
			return
		}
		cc.send(r, st, true, true, b)
	case frame.OpBatch:
		children, unknown, ok := cc.srv.parseBatchChildren(msg)
		if !ok {
			cc.protocolError(stream, "malformed BATCH")
			return
		}
		if unknown != nil {
			cc.srv.psMiss.Add(1)
			cc.reply(frame.UnpreparedFrame(cc.version, stream, unknown), stream)
			return
		}
		// A new variable: f reassigned after the EXECUTE case's closure
		// captured it would move f to the heap on every request.
		bf, _ := cc.ensureTimestamp(f, msg, msgOff)
		r := cc.newRequest(bf, classify.KindBatch, st.Primary)
		r.batch = children
		cc.sendWrite(r, st, func(dst []byte, c Cluster, s int16) []byte {
			return appendBatchFor(dst, bf, msgOff, children, c, s)
		}, bf, msgOff, nil, children)
	default:
		cc.protocolError(stream, "unexpected "+frame.OpcodeName(f.Opcode())+" after the handshake")
	}
}

func (cc *clientConn) protocolError(stream int16, msg string) {
	cc.reply(frame.ErrorFrame(cc.version, stream, frame.ErrCodeProtocol, msg), stream)
	cc.closeWith(&handshakeError{msg})
}

func (cc *clientConn) handleQuery(f frame.Frame, msg []byte, st *Settings) {
	stream := f.Stream()
	q, err := classify.QueryString(msg)
	if err != nil {
		cc.protocolError(stream, "malformed QUERY")
		return
	}
	stmt := classify.Query(q)
	r := cc.newRequest(f, stmt.Kind, st.Primary)
	switch stmt.Kind {
	case classify.KindSelect:
		ks := stmt.Keyspace
		if ks == "" {
			ks = cc.currentKeyspace()
		}
		if cc.isSystem(ks) {
			if ks == "system" {
				switch stmt.Table {
				case "local", "peers":
					cc.answerSystemTable(r, stmt.Table, q, st)
					return
				case "peers_v2":
					cc.reply(frame.ErrorFrame(cc.version, stream, frame.ErrCodeInvalid, "unconfigured table peers_v2"), stream)
					return
				}
			}
			r.primary = st.SystemQueries
			cc.send(r, st, r.primary == Origin, r.primary == Target, forwardAs(f))
			return
		}
		if st.DualAsyncReads {
			r.stmt = string(q)
			if cc.srv.logValues.Load() {
				r.values = boundValues(frame.OpQuery, cc.version, msg)
			}
		}
		cc.sendRead(r, st, forwardAs(f))
	case classify.KindUse:
		r.useKS = true
		cc.send(r, st, true, true, forwardAs(f))
	default:
		if isWrite(stmt.Kind) {
			msgOff := len(f.Body()) - len(msg)
			f, _ = cc.ensureTimestamp(f, msg, msgOff)
			cc.sendWrite(r, st, forwardAs(f), f, msgOff, nil, nil)
			return
		}
		cc.send(r, st, true, true, forwardAs(f))
	}
}

// systemTable returns "local", "peers" or "peers_v2" when stmt reads one of
// the tables the proxy answers itself.
func (cc *clientConn) systemTable(stmt classify.Statement) string {
	if stmt.Kind != classify.KindSelect {
		return ""
	}
	ks := stmt.Keyspace
	if ks == "" {
		ks = cc.currentKeyspace()
	}
	if ks != "system" {
		return ""
	}
	switch stmt.Table {
	case "local", "peers", "peers_v2":
		return stmt.Table
	}
	return ""
}

func (cc *clientConn) isSystem(ks string) bool {
	switch ks {
	case "system", "system_schema", "system_auth", "system_distributed", "system_traces", "system_views", "system_virtual_schema", "dse_system", "dse_auth":
		return true
	}
	return false
}

func (cc *clientConn) newRequest(f frame.Frame, kind classify.Kind, primary Cluster) *request {
	r := &request{cc: cc, stream: f.Stream(), version: cc.version, opcode: f.Opcode(), kind: kind, primary: primary, start: time.Now()}
	if kind == classify.KindSelect && cc.srv.Settings().DualAsyncReads {
		if msg, err := frame.RequestMessage(f); err == nil {
			r.paged = classify.HasPagingState(f.Opcode(), cc.version, msg)
		}
	}
	return r
}

// send reserves stream ids, arms the timeout and queues the request to the
// chosen clusters.
func (cc *clientConn) send(r *request, st *Settings, toOrigin, toTarget bool, b builder) bool {
	want := [2]bool{toOrigin, toTarget}
	if !r.isAsync && !cc.routeAroundDown(r, st, &want) {
		return false
	}
	// Everything the cluster readers look at is set before the stream ids are
	// published (acquire takes the cluster lock the reader also takes).
	r.sentTo = want
	for c := Origin; c <= Target; c++ {
		if want[c] {
			r.pending++
		}
	}
	if !r.isAsync {
		cc.beginInflight(r)
	}
	r.timer = time.AfterFunc(answerBy(st.RequestTimeout), r.onTimeout)
	if r.isAsync {
		if cc.dispatch(r, want, b) {
			return true
		}
		r.abandon()
		return false
	}
	// Requests wait in order when a cluster connection has no free stream
	// id; the queue is bounded, beyond it the client gets OVERLOADED.
	cc.waitMu.Lock()
	defer cc.waitMu.Unlock()
	if len(cc.waiting) == 0 && cc.dispatch(r, want, b) {
		return true
	}
	if len(cc.waiting) >= maxWaiting {
		r.abandon()
		cc.endInflight(r)
		cc.reply(frame.ErrorFrame(cc.version, r.stream, frame.ErrCodeOverloaded,
			"zdm-proxy: too many requests waiting for a stream id (proxy_max_stream_ids)"), r.stream)
		return false
	}
	cc.waiting = append(cc.waiting, waitingSend{r: r, want: want, b: b})
	cc.hasWaiting.Store(true)
	return true
}

// maxWaiting bounds the per-connection wait queue; a client cannot have more
// requests in flight than the protocol's 32768 stream ids anyway.
const maxWaiting = 32768

// waitingSend is a request queued until stream ids free up.
type waitingSend struct {
	r    *request
	want [2]bool
	b    builder
}

// dispatch reserves an id on every wanted cluster and queues the frames;
// when one cluster has no free id it releases the others and returns false.
func (cc *clientConn) dispatch(r *request, want [2]bool, b builder) bool {
	var ids [2]int16
	for c := Origin; c <= Target; c++ {
		if !want[c] {
			continue
		}
		id, ok := cc.cl(c).acquire(r)
		if !ok {
			for d := Origin; d < c; d++ {
				if want[d] {
					cc.cl(d).release(ids[d])
				}
			}
			return false
		}
		ids[c] = id
	}
	for c := Origin; c <= Target; c++ {
		if want[c] {
			id := ids[c]
			_ = cc.cl(c).sendFunc(func(dst []byte) []byte { return b(dst, c, id) })
		}
	}
	return true
}

// drainWaiting dispatches queued requests while stream ids are free. Called
// by cluster readers after they free an id.
func (cc *clientConn) drainWaiting() {
	cc.waitMu.Lock()
	sent := false
	for len(cc.waiting) > 0 {
		w := cc.waiting[0]
		if !w.r.isDone() && !cc.dispatch(w.r, w.want, w.b) {
			break
		}
		cc.waiting[0] = waitingSend{}
		cc.waiting = cc.waiting[1:]
		sent = true
	}
	if len(cc.waiting) == 0 {
		cc.waiting = nil
		cc.hasWaiting.Store(false)
	}
	cc.waitMu.Unlock()
	if sent {
		cc.flushCluster(Origin)
		cc.flushCluster(Target)
	}
}

// abandonWaiting fails queued requests when the connection closes.
func (cc *clientConn) abandonWaiting() {
	cc.waitMu.Lock()
	waiting := cc.waiting
	cc.waiting = nil
	cc.hasWaiting.Store(false)
	cc.waitMu.Unlock()
	for _, w := range waiting {
		if w.r.abandon() {
			cc.endInflight(w.r)
		}
	}
}

// sendRead sends a read to the primary and, with DUAL_ASYNC_ON_SECONDARY,
// replays it on the secondary in the background (bounded; dropped when full).
func (cc *clientConn) sendRead(r *request, st *Settings, b builder) {
	srv := cc.srv
	if st.DualAsyncReads && r.paged {
		// A paging state belongs to the primary; replaying page 2+ on the
		// secondary would only produce errors.
		cc.send(r, st, st.Primary == Origin, st.Primary == Target, b)
		return
	}
	wantAsync := st.DualAsyncReads && srv.hooks.OnAsyncRead != nil
	if wantAsync {
		r.pair = &asyncPair{stmt: r.stmt, values: r.values} // set before the ids are published
	}
	if !cc.send(r, st, st.Primary == Origin, st.Primary == Target, b) || !st.DualAsyncReads {
		return
	}
	limit := int64(srv.cfg.AsyncReadQueueSize)
	sec := st.Primary.Other()
	if cc.cl(sec).dead.Load() {
		return // the secondary reconnects (secondaryconn.go): nothing to compare with
	}
	// Async reads may hold at most half of a connection's stream ids, so a
	// slow secondary never starves the writes that must reach it.
	if srv.asyncInFlight.Add(1) > limit || cc.cl(sec).inFlight() >= srv.cfg.MaxStreamIDs/2 {
		srv.asyncInFlight.Add(-1)
		srv.asyncDropped.Add(1)
		if h := srv.hooks.OnAsyncRead; h != nil {
			h(AsyncReadResult{Kind: r.kind, Secondary: sec, Dropped: true})
		}
		return
	}
	a := &request{cc: cc, stream: r.stream, version: r.version, opcode: r.opcode, kind: r.kind,
		primary: sec, start: r.start, isAsync: true, pair: r.pair}
	if !cc.send(a, st, sec == Origin, sec == Target, b) {
		srv.asyncInFlight.Add(-1)
		srv.asyncDropped.Add(1)
		if wantAsync {
			srv.hooks.OnAsyncRead(AsyncReadResult{Kind: r.kind, Secondary: sec, Dropped: true})
		}
	}
}

// handleRegister answers REGISTER itself and subscribes to Origin's schema
// events when the client asked for them (topology and status events are not
// forwarded: the proxy presents its own topology; it sends only its own
// STATUS_CHANGE DOWN when it shuts down, see announceDown, and UP for a
// restarted peer, see watchPeers).
func (cc *clientConn) handleRegister(f frame.Frame, msg []byte) {
	cur := frame.Cursor{B: msg}
	types := cur.StringList()
	if cur.Err != nil {
		cc.protocolError(f.Stream(), "malformed REGISTER")
		return
	}
	for _, t := range types {
		if t == "STATUS_CHANGE" {
			cc.statusEvents.Store(true)
		}
		if t == "SCHEMA_CHANGE" && cc.registered.CompareAndSwap(false, true) {
			body := frame.AppendStringList(nil, []string{"SCHEMA_CHANGE"})
			reg := frame.New(cc.version, cc.reqFlags, 0, frame.OpRegister, body)
			oc := cc.cl(Origin)
			if id, ok := oc.acquire(ignoreResponse{}); ok {
				_ = oc.send(reg, id)
			}
		}
	}
	cc.reply(frame.New(cc.version|frame.ResponseBit, 0, f.Stream(), frame.OpReady, nil), f.Stream())
}

type ignoreResponse struct{}

func (ignoreResponse) onResponse(Cluster, frame.Frame) {}

// answerBy is when the proxy gives up on a cluster: a little before
// proxy_request_timeout_ms so the error frame reaches the client within it.
func answerBy(timeout time.Duration) time.Duration {
	if timeout > 20*time.Millisecond {
		return timeout - 2*time.Millisecond
	}
	return timeout
}
