package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/zdmctl/zdmctl/proxy/classify"
	"github.com/zdmctl/zdmctl/proxy/frame"
)

// request is one client request in flight on one or two clusters.
type request struct {
	cc      *clientConn
	stream  int16 // client stream id
	version byte
	opcode  byte
	kind    classify.Kind
	primary Cluster // whose successful answer the client gets
	sentTo  [2]bool
	start   time.Time

	mu      sync.Mutex
	pending int
	resp    [2]frame.Frame
	lost    [2]bool
	done    bool
	timer   *time.Timer

	// Kind-specific context.
	prepared      *classify.Statement // PREPARE: the statement being prepared
	preparedQuery string              // PREPARE: its text, for system tables
	stmt          string              // read in DUAL_ASYNC mode: CQL text for the async hook
	values        [][]byte            // and its bound values (log_mismatch_values)
	clientID      []byte              // EXECUTE: the id the client used
	batch         []batchChild        // BATCH: prepared children
	useKS         bool                // USE: track the keyspace on success
	pair          *asyncPair          // set on a read and its async replay
	write         *writeCtx           // a background secondary write (asyncwrite.go)
	isAsync       bool
	// secondarySkipped: sent to the primary only, the secondary's connection
	// being down in DUAL_ASYNC_ON_SECONDARY (secondaryconn.go).
	secondarySkipped bool
	infl             InflightType // how OnInflight counts it (set by send)
	paged            bool         // continues a paged read (has a paging state)
	// transform rewrites a successful answer (system tables).
	transform func(frame.Frame) frame.Frame
}

func (r *request) onResponse(c Cluster, f frame.Frame) {
	r.mu.Lock()
	if r.done {
		r.mu.Unlock()
		return // late answer after a timeout: the stream id is free again
	}
	if f == nil {
		r.lost[c] = true
	} else {
		r.resp[c] = f
	}
	r.pending--
	last := r.pending == 0
	r.done = last
	r.mu.Unlock()
	if h := r.cc.srv.hooks.OnClusterRequest; h != nil {
		code := int32(-1)
		if f != nil {
			code = frame.ErrorCode(f)
		}
		h(c, r.kind, r.isAsync, time.Since(r.start), code)
	}
	if !last {
		return
	}
	if r.timer != nil {
		r.timer.Stop()
	}
	r.finish(false)
}

// isDone reports whether the request was already answered (or abandoned).
func (r *request) isDone() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done
}

// abandon marks a request that was never sent as done and stops its timer;
// it returns false if the request had already finished.
func (r *request) abandon() bool {
	r.mu.Lock()
	was := r.done
	r.done = true
	r.mu.Unlock()
	r.timer.Stop()
	return !was
}

func (r *request) onTimeout() {
	defer func() {
		if p := recover(); p != nil {
			r.cc.log.Error("panic answering a timed-out request", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			r.cc.closeWith(fmt.Errorf("internal error: %v", p))
		}
	}()
	r.mu.Lock()
	if r.done {
		r.mu.Unlock()
		return
	}
	r.done = true
	r.mu.Unlock()
	r.finish(true)
	_ = r.cc.w.Flush()
}

// finish decides the client's answer. Called exactly once, without r.mu held;
// r.resp/r.lost are no longer written after done is set.
func (r *request) finish(timedOut bool) {
	// A timed-out request has no answer from at least one cluster; clusterErr
	// below turns the missing answer into a timeout error.
	srv := r.cc.srv
	if r.write != nil {
		r.finishSecondaryWrite(timedOut)
		return
	}
	if r.isAsync {
		r.finishAsync(timedOut)
		return
	}
	r.tolerateSecondaryPrepare()
	r.dropLostSecondary()
	var out frame.Frame
	var errCluster Cluster = -1
	var outErr error
	clusterErr := func(c Cluster) (frame.Frame, error) {
		switch {
		case r.lost[c]:
			srv.health[c].inBandFailures.Add(1) // readiness evidence: control.go
			m := fmt.Sprintf("zdm-proxy: connection to %s lost before it answered", c)
			return frame.ErrorFrame(r.version, r.stream, frame.ErrCodeServer, m), errors.New(m)
		case r.resp[c] == nil:
			srv.health[c].inBandFailures.Add(1)
			m := fmt.Sprintf("zdm-proxy: %s did not answer within %v", c, srv.Settings().RequestTimeout)
			return r.timeoutFrame(m), errors.New(m)
		case r.resp[c].Opcode() == frame.OpError:
			return r.resp[c], errors.New(frame.ErrorMessage(r.resp[c]))
		}
		return nil, nil
	}
	order := [2]Cluster{r.primary, r.primary.Other()}
	for _, c := range order {
		if !r.sentTo[c] {
			continue
		}
		if e, err := clusterErr(c); e != nil {
			out, outErr, errCluster = e, err, c
			break
		}
	}
	if out == nil {
		for _, c := range order {
			if r.sentTo[c] {
				out = r.resp[c]
				break
			}
		}
		if r.sentTo[Origin] && r.sentTo[Target] {
			r.onDualSuccess()
		}
	}
	if errCluster >= 0 && frame.ErrorCode(out) == frame.ErrCodeUnprepared {
		out = r.unpreparedForClient(errCluster, out)
	}
	if outErr == nil && r.transform != nil {
		out = r.transform(out)
	}
	if outErr == nil && r.useKS && out.Opcode() == frame.OpResult {
		r.cc.trackKeyspace(out)
	}
	r.cc.reply(out, r.stream)
	r.cc.endInflight(r)
	if r.pair != nil {
		var pf frame.Frame
		if outErr == nil {
			pf = out // reply queued a copy
		}
		if compare := r.pair.primaryDone(pf, srv.hooks.OnAsyncRead); compare != nil {
			// The secondary answered first: its comparison (a digest of both
			// result sets) runs now, so the client's answer goes out first.
			_ = r.cc.w.Flush()
			compare()
		}
	}
	if h := srv.hooks.OnRequest; h != nil {
		cl := clusterSets[b2i(r.sentTo[Origin])|b2i(r.sentTo[Target])<<1]
		h(RequestOutcome{Opcode: r.opcode, Kind: r.kind, Clusters: cl, Duration: time.Since(r.start), Err: outErr, ErrCluster: errCluster})
	}
}

func (r *request) finishAsync(timedOut bool) {
	srv := r.cc.srv
	srv.asyncInFlight.Add(-1)
	h := srv.hooks.OnAsyncRead
	if h == nil {
		return
	}
	var sec Cluster = Origin
	if r.sentTo[Target] {
		sec = Target
	}
	res := AsyncReadResult{Kind: r.kind, Secondary: sec, Duration: time.Since(r.start), SecondaryFrame: r.resp[sec]}
	switch {
	case r.lost[sec]:
		res.Err = errClusterConnLost
	case timedOut || r.resp[sec] == nil:
		res.Err = errors.New("secondary read timed out")
	case r.resp[sec].Opcode() == frame.OpError:
		res.Err = errors.New(frame.ErrorMessage(r.resp[sec]))
	}
	r.pair.secondaryDone(res, h)
}

// asyncPair joins a read and its replay on the secondary so the hook sees
// both answers, whichever comes last.
type asyncPair struct {
	mu      sync.Mutex
	primary frame.Frame
	pDone   bool
	sec     *AsyncReadResult
	stmt    string   // the read's CQL text (read only)
	values  [][]byte // its bound values with log_mismatch_values (read only)
}

// primaryDone records the primary's answer; when the secondary's is already
// in, it returns the call of h that joins them (nil otherwise).
func (p *asyncPair) primaryDone(f frame.Frame, h func(AsyncReadResult)) func() {
	p.mu.Lock()
	p.primary, p.pDone = f, true
	sec := p.sec
	p.mu.Unlock()
	if sec == nil || h == nil {
		return nil
	}
	sec.Primary = f
	return func() { h(*sec) }
}

func (p *asyncPair) secondaryDone(res AsyncReadResult, h func(AsyncReadResult)) {
	res.Statement, res.Values = p.stmt, p.values
	p.mu.Lock()
	if !p.pDone {
		p.sec = &res
		p.mu.Unlock()
		return
	}
	res.Primary = p.primary
	p.mu.Unlock()
	h(res)
}

func (r *request) timeoutFrame(msg string) frame.Frame {
	// WRITE_TIMEOUT / READ_TIMEOUT carry consistency and replica counts;
	// the proxy does not know them, so report LOCAL_ONE with 0 of 1.
	var b []byte
	if r.kind == classify.KindSelect {
		b = appendU32(nil, frame.ErrCodeReadTO)
		b = frame.AppendString(b, msg)
		b = append(b, 0x00, 0x0A) // LOCAL_ONE
		b = appendU32(b, 0)
		b = appendU32(b, 1)
		b = append(b, 0) // data_present
	} else {
		b = appendU32(nil, frame.ErrCodeWriteTO)
		b = frame.AppendString(b, msg)
		b = append(b, 0x00, 0x0A)
		b = appendU32(b, 0)
		b = appendU32(b, 1)
		wt := "SIMPLE"
		if r.opcode == frame.OpBatch {
			wt = "BATCH"
		}
		b = frame.AppendString(b, wt)
	}
	return frame.New(r.version|frame.ResponseBit, 0, r.stream, frame.OpError, b)
}

func appendU32(b []byte, v uint32) []byte {
	return append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// unpreparedForClient rewrites a cluster's UNPREPARED error so it names the
// id the client knows, so the driver re-prepares (on both clusters).
func (r *request) unpreparedForClient(c Cluster, f frame.Frame) frame.Frame {
	if r.clientID != nil {
		return frame.UnpreparedFrame(r.version, r.stream, r.clientID)
	}
	if len(r.batch) > 0 {
		m, err := frame.ResponseMessage(f)
		if err == nil && len(m) > 4 {
			cur := frame.Cursor{B: m[4:]}
			cur.Str()
			id := cur.ShortBytes()
			for _, ch := range r.batch {
				if bytes.Equal(ch.entry.ids[c], id) {
					return frame.UnpreparedFrame(r.version, r.stream, ch.clientID)
				}
			}
		}
	}
	return f
}

// onDualSuccess runs when both clusters accepted a dual request.
func (r *request) onDualSuccess() {
	if r.prepared != nil {
		r.cc.srv.ps.storeFromResults(r.version, *r.prepared, r.preparedQuery, r.primary, r.resp)
	}
}

// beginInflight counts a client request (not an async replay) as in flight.
func (cc *clientConn) beginInflight(r *request) {
	cc.srv.inflight.Add(1)
	cc.inflight.Add(1)
	r.infl = inflightType(r.opcode, r.kind, r.sentTo[Origin], r.sentTo[Target])
	if h := cc.srv.hooks.OnInflight; h != nil && r.infl != inflightNone {
		h(r.infl, 1)
	}
}

// endInflight undoes beginInflight; called exactly once per request, by
// whoever set it done (finish, or the code abandoning it).
func (cc *clientConn) endInflight(r *request) {
	cc.srv.inflight.Add(-1)
	cc.inflight.Add(-1)
	if h := cc.srv.hooks.OnInflight; h != nil && r.infl != inflightNone {
		h(r.infl, -1)
	}
}
