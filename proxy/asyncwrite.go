package proxy

import (
	"sync/atomic"

	"github.com/zdmctl/zdmctl/proxy/classify"
	"github.com/zdmctl/zdmctl/proxy/frame"
	"github.com/zdmctl/zdmctl/proxy/journal"
	"github.com/zdmctl/zdmctl/proxy/mutation"
)

// write_mode DUAL_ASYNC_ON_SECONDARY: the client gets the primary's answer;
// the write to the secondary goes on in the background under a budget of
// in-flight requests and bytes. A secondary write that fails, times out or
// does not fit the budget is appended to the journal of missed writes
// (journalrecord.go), never reported to the client.

// Reasons of zdm_secondary_write_failures_total.
const (
	ReasonTimeout     = "timeout"
	ReasonUnavailable = "unavailable"
	ReasonOverloaded  = "overloaded"
	ReasonError       = "error"
	ReasonBudget      = "budget"
)

// maxSecondaryPending bounds the bytes queued, unwritten, for a secondary
// connection: beyond it a write is journaled rather than queued, so a frozen
// secondary never makes the client's goroutine wait for socket space.
const maxSecondaryPending = 4 << 20

// secondaryWrites is the server-wide state of background secondary writes.
type secondaryWrites struct {
	journal  *journal.Set // nil without journal_dir: missed writes are only counted
	maxN     int64
	maxBytes int64
	inFlight atomic.Int64
	bytes    atomic.Int64
	// Counters (tests, status): failures seen, records journaled, records
	// the journal refused (full, closed, absent).
	failures, journaled, lost atomic.Int64
	// disconnected: client connections whose secondary connection is down
	// (secondaryconn.go).
	disconnected atomic.Int64
}

// writeCtx is what a journal record of a missed write needs; captured at
// send time, read only when the secondary write fails.
type writeCtx struct {
	f        frame.Frame // the request as sent (timestamped, client ids)
	msgOff   int
	version  byte
	kind     classify.Kind
	exec     *psEntry     // EXECUTE: the prepared statement
	batch    []batchChild // BATCH: its prepared children, in order
	keyspace string       // the connection's keyspace when sent
	sec      Cluster
	targetCL int32 // consistency sent to Target (-1: the client's)
	size     int64
}

// sendWrite routes a write (INSERT, UPDATE, DELETE, BATCH): to both clusters
// and waiting for both in DUAL_SYNC; to the primary with the secondary in
// the background in DUAL_ASYNC_ON_SECONDARY. f is the (timestamped) request,
// exec and batch its prepared statements, if any.
func (cc *clientConn) sendWrite(r *request, st *Settings, b builder, f frame.Frame, msgOff int, exec *psEntry, batch []batchChild) {
	b = withTargetConsistency(b, cc.version, st.TargetCL)
	if !st.AsyncWrites {
		cc.send(r, st, true, true, b)
		return
	}
	prim := st.Primary
	sec := prim.Other()
	if !cc.send(r, st, prim == Origin, prim == Target, b) {
		return // the client was told OVERLOADED; it retries the whole write
	}
	wc := &writeCtx{f: f, msgOff: msgOff, version: cc.version, kind: r.kind, exec: exec, batch: batch,
		keyspace: cc.currentKeyspace(), sec: sec, targetCL: st.TargetCL, size: int64(len(f))}
	if cc.cl(sec).dead.Load() { // reconnecting: secondaryconn.go
		cc.srv.missedWrite(wc, ReasonUnavailable)
		return
	}
	if !cc.preparedOn(sec, exec, batch) { // prepared while the secondary did not answer
		cc.srv.missedWrite(wc, ReasonError)
		return
	}
	sw := &cc.srv.secondary
	if sw.inFlight.Add(1) > sw.maxN || sw.bytes.Add(wc.size) > sw.maxBytes || cc.cl(sec).w.Pending() > maxSecondaryPending {
		sw.inFlight.Add(-1)
		sw.bytes.Add(-wc.size)
		cc.srv.missedWrite(wc, ReasonBudget)
		return
	}
	a := &request{cc: cc, stream: r.stream, version: r.version, opcode: r.opcode, kind: r.kind,
		primary: sec, start: r.start, isAsync: true, write: wc}
	if !cc.send(a, st, sec == Origin, sec == Target, b) { // no free stream id
		sw.inFlight.Add(-1)
		sw.bytes.Add(-wc.size)
		cc.srv.missedWrite(wc, ReasonBudget)
	}
}

// finishSecondaryWrite ends a background secondary write: success, or a
// journal record.
func (r *request) finishSecondaryWrite(timedOut bool) {
	srv := r.cc.srv
	sw := &srv.secondary
	sw.inFlight.Add(-1)
	sw.bytes.Add(-r.write.size)
	sec := r.write.sec
	var reason string
	switch {
	case r.lost[sec]: // its connection broke: it reconnects (secondaryconn.go)
		reason = ReasonUnavailable
	case timedOut || r.resp[sec] == nil:
		reason = ReasonTimeout
	case r.resp[sec].Opcode() == frame.OpError:
		switch frame.ErrorCode(r.resp[sec]) {
		case frame.ErrCodeWriteTO:
			reason = ReasonTimeout
		case 0x1000: // UNAVAILABLE
			reason = ReasonUnavailable
		case frame.ErrCodeOverloaded:
			reason = ReasonOverloaded
		case frame.ErrCodeUnprepared:
			// The secondary lost the statement (a node restarted): the
			// client never sees this error, so the proxy prepares it there.
			r.cc.reprepareAll(sec, r.write.exec, r.write.batch)
			reason = ReasonError
		default:
			reason = ReasonError
		}
	default:
		return
	}
	srv.missedWrite(r.write, reason)
}

// missedWrite counts a write the secondary missed and journals it.
func (s *Server) missedWrite(wc *writeCtx, reason string) {
	sw := &s.secondary
	sw.failures.Add(1)
	rec := buildRecord(wc, reason)
	if h := s.hooks.OnSecondaryWriteFailure; h != nil {
		h(wc.sec, rec.Keyspace, rec.Table, reason)
	}
	if sw.journal == nil {
		sw.lost.Add(1)
		return
	}
	if err := sw.journal.Append(rec); err != nil {
		sw.lost.Add(1) // counted and logged (rate-limited) by the journal
		return
	}
	sw.journaled.Add(1)
}

// withTargetConsistency makes b's frames for Target carry consistency cl
// (target_consistency_level; cl < 0 keeps the client's).
func withTargetConsistency(b builder, version byte, cl int32) builder {
	if cl < 0 {
		return b
	}
	return func(dst []byte, c Cluster, s int16) []byte {
		start := len(dst)
		dst = b(dst, c, s)
		if c == Target {
			f := frame.Frame(dst[start:])
			if msg, err := frame.RequestMessage(f); err == nil {
				if l, err := mutation.Locate(f.Opcode(), version, msg); err == nil {
					mutation.SetConsistency(msg, l, uint16(cl))
				}
			}
		}
		return dst
	}
}

// SecondaryWriteStats are the counters of background secondary writes.
type SecondaryWriteStats struct {
	InFlight, Bytes, Failures, Journaled, Lost int64
	// Disconnected is how many client connections run without their
	// secondary connection right now (it reconnects in the background).
	Disconnected int64
}

// SecondaryWrites returns the counters of DUAL_ASYNC_ON_SECONDARY writes.
func (s *Server) SecondaryWrites() SecondaryWriteStats {
	sw := &s.secondary
	return SecondaryWriteStats{InFlight: sw.inFlight.Load(), Bytes: sw.bytes.Load(), Failures: sw.failures.Load(),
		Journaled: sw.journaled.Load(), Lost: sw.lost.Load(), Disconnected: sw.disconnected.Load()}
}

// secondaryFlushKick wakes the background flusher of cluster c's writer,
// started on first use; it ends with the client connection.
func (cc *clientConn) secondaryFlushKick(c Cluster) {
	ch := cc.bgFlush[c].Load()
	if ch == nil {
		nc := make(chan struct{}, 1)
		if cc.bgFlush[c].CompareAndSwap(nil, &nc) {
			go cc.bgFlushLoop(c, nc)
		}
		ch = cc.bgFlush[c].Load()
	}
	select {
	case *ch <- struct{}{}:
	default: // a flush is already due
	}
}

func (cc *clientConn) bgFlushLoop(c Cluster, kick chan struct{}) {
	for {
		select {
		case <-kick:
			_ = cc.cl(c).w.Flush()
		case <-cc.closed:
			return
		}
	}
}

// secondaryBacklog is how many unanswered requests make a secondary
// connection "slow": past it, its writes are flushed in the background.
const secondaryBacklog = 32

// flushCluster writes what is queued for cluster c: from this goroutine,
// except for a slow secondary in DUAL_ASYNC_ON_SECONDARY (more than
// secondaryBacklog unanswered requests), whose writes are flushed in the
// background so a frozen secondary never blocks the client. A healthy
// secondary is flushed here, which saves a goroutine wake-up per flush.
func (cc *clientConn) flushCluster(c Cluster) {
	if st := cc.srv.Settings(); st.AsyncWrites && c == st.Primary.Other() && cc.cl(c).inFlight() > secondaryBacklog {
		cc.secondaryFlushKick(c)
		return
	}
	_ = cc.cl(c).w.Flush()
}
