package proxy

import (
	"bytes"

	"github.com/zdmctl/zdmctl/proxy/journal"
	"github.com/zdmctl/zdmctl/proxy/mutation"
)

// buildRecord turns a missed secondary write into a journal record: the
// statement text with its bound values (prepared ids resolved to their
// text, since ids do not survive a restart), the consistency sent, the
// client timestamp, and whether a replay is safe.
func buildRecord(wc *writeCtx, reason string) *journal.Record {
	rec := &journal.Record{Kind: journal.Replayable, Cluster: wc.sec.String(), Reason: reason, BatchType: journal.NoBatch}
	msg := wc.f.Body()[wc.msgOff:]
	op := wc.f.Opcode()
	unsafe := ""
	if l, err := mutation.Locate(op, wc.version, msg); err == nil {
		rec.Consistency = l.Consistency(msg)
		if wc.sec == Target && wc.targetCL >= 0 {
			rec.Consistency = uint16(wc.targetCL)
		}
		if ts, ok := l.Timestamp(msg); ok {
			rec.Timestamp = ts
		} else {
			unsafe = "no client timestamp"
		}
	} else {
		unsafe = "unparsable request"
	}
	stmts, btype, err := mutation.Statements(op, wc.version, msg)
	if err != nil {
		unsafe = "unparsable request"
	}
	if btype >= 0 {
		rec.BatchType = uint8(btype)
		if btype == 2 {
			unsafe = "counter batch"
		}
	}
	ci := 0
	for _, s := range stmts {
		var text string
		switch {
		case s.ID == nil:
			text = string(s.Query)
		case wc.exec != nil:
			text = wc.exec.query
		default:
			for ci < len(wc.batch) && !bytes.Equal(wc.batch[ci].clientID, s.ID) {
				ci++
			}
			if ci < len(wc.batch) {
				text = wc.batch[ci].entry.query
				ci++
			}
		}
		if text == "" {
			unsafe = "prepared statement text unknown"
		}
		if why := mutation.Unsafe(text); why != "" && unsafe == "" {
			unsafe = why
		}
		js := journal.Statement{Query: text, Names: s.Names}
		for _, v := range s.Values {
			js.Values = append(js.Values, journal.Value{B: append([]byte(nil), v.B...), Unset: v.Unset})
			if v.B != nil && len(v.B) == 0 {
				js.Values[len(js.Values)-1].B = []byte{}
			}
		}
		rec.Statements = append(rec.Statements, js)
		if rec.Table == "" {
			rec.Keyspace, rec.Table = mutation.Target(text)
		}
	}
	if rec.Keyspace == "" {
		rec.Keyspace = wc.keyspace
	}
	if unsafe != "" {
		rec.Kind = journal.NeedsRepair
		rec.Reason = reason + "; needs repair: " + unsafe
	}
	return rec
}
