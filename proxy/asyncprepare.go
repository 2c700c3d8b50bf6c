package proxy

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// In DUAL_ASYNC_ON_SECONDARY a write statement prepared while the secondary
// does not answer (or refuses it), and any statement prepared while its
// connection is down or breaks, is still prepared for the client, on the
// primary alone: drivers prepare a statement the first time they run it, so
// refusing would fail the client's write for the secondary's sake. Its
// EXECUTEs are journaled for the secondary (text and values are what a
// replay needs) while the proxy prepares it there in the background; once
// that succeeds, they go to the secondary again.

// tolerateSecondaryPrepare turns a PREPARE of a write that the primary
// accepted and the secondary did not into a success on the primary alone,
// caching the statement without the secondary's id. Called by finish.
func (r *request) tolerateSecondaryPrepare() {
	if r.prepared == nil || !r.cc.srv.Settings().AsyncWrites {
		return
	}
	p, s := r.primary, r.primary.Other()
	if !r.sentTo[p] {
		return
	}
	switch {
	case r.secondarySkipped: // its connection is down: secondaryconn.go
	case !r.sentTo[s]:
		return
	case r.lost[s] || r.resp[s] == nil: // its connection broke, or no answer in time
	case r.resp[s].Opcode() == frame.OpResult:
		return // prepared on both: the usual path
	case !isWrite(r.prepared.Kind):
		return // a read the secondary refuses is the client's error, as before
	}
	id, meta, ok := parsePrepared(r.version, r.resp[p])
	if !ok {
		return
	}
	r.sentTo[s] = false
	if old := r.cc.srv.ps.get(id); old != nil && old.ids[s] != nil && bytes.Equal(old.ids[p], id) {
		return // already prepared on both (a driver preparing it again)
	}
	e := &psEntry{stmt: *r.prepared, query: r.preparedQuery, clientID: id, clientMeta: meta}
	e.ids[p], e.metaIDs[p] = id, meta
	r.cc.srv.ps.put(e)
	r.cc.log.Warn("statement prepared on the primary only: the secondary is down or did not answer; its writes are journaled until it is prepared there",
		"secondary", s.String(), "query", r.preparedQuery)
}

// preparedOn reports whether every prepared statement of a write has an id
// on cluster c; for those that do not, it starts preparing them there.
func (cc *clientConn) preparedOn(c Cluster, exec *psEntry, batch []batchChild) bool {
	ok := true
	if exec != nil && exec.ids[c] == nil {
		cc.reprepare(exec, c)
		ok = false
	}
	for _, ch := range batch {
		if ch.entry.ids[c] == nil {
			cc.reprepare(ch.entry, c)
			ok = false
		}
	}
	return ok
}

// reprepare sends a PREPARE of e's text to cluster c on this connection
// (one at a time per statement) and caches the completed entry when c
// answers.
func (cc *clientConn) reprepare(e *psEntry, c Cluster) {
	// One at a time per statement; one unanswered for longer than the
	// request timeout is given up on.
	now := time.Now().UnixNano()
	at := e.reprepAt.Load()
	if e.query == "" || at != 0 && now-at < int64(cc.srv.Settings().RequestTimeout) || !e.reprepAt.CompareAndSwap(at, now) {
		return
	}
	conn := cc.cl(c)
	id, ok := conn.acquire(&reprepared{cc: cc, e: e, c: c})
	if !ok {
		e.reprepAt.Store(0)
		return
	}
	body := binary.BigEndian.AppendUint32(nil, uint32(len(e.query)))
	body = append(body, e.query...)
	if cc.version >= 5 {
		body = binary.BigEndian.AppendUint32(body, 0) // PREPARE flags
	}
	f := frame.New(cc.version, cc.reqFlags, id, frame.OpPrepare, body)
	if err := conn.sendFunc(func(dst []byte) []byte { return append(dst, f...) }); err != nil {
		conn.release(id)
		e.reprepAt.Store(0)
		return
	}
	cc.flushCluster(c)
}

// reprepareAll prepares the statements of a write on cluster c again.
func (cc *clientConn) reprepareAll(c Cluster, exec *psEntry, batch []batchChild) {
	if exec != nil {
		cc.reprepare(exec, c)
	}
	for _, ch := range batch {
		cc.reprepare(ch.entry, c)
	}
}

type reprepared struct {
	cc *clientConn
	e  *psEntry
	c  Cluster
}

func (rp *reprepared) onResponse(_ Cluster, f frame.Frame) {
	id, meta, ok := parsePrepared(rp.cc.version, f)
	if !ok {
		rp.e.reprepAt.Store(0) // lost or refused: the next write tries again
		return
	}
	old := rp.e
	e := &psEntry{clientID: old.clientID, clientMeta: old.clientMeta, stmt: old.stmt, query: old.query, ids: old.ids, metaIDs: old.metaIDs}
	e.ids[rp.c], e.metaIDs[rp.c] = id, meta
	rp.cc.srv.ps.put(e)
	rp.cc.log.Info("statement now prepared on the secondary too", "cluster", rp.c.String(), "query", old.query)
}
