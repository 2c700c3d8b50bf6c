package proxy

import (
	"encoding/binary"
	"sync"

	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/proxy/classify"
	"github.com/zdmctl/zdmctl/proxy/frame"
	"github.com/zdmctl/zdmctl/proxy/nowfunc"
)

// replace_cql_functions: now() in INSERT, UPDATE, DELETE and BATCH becomes
// one timeuuid chosen here, so Origin and Target store the same value.
// Simple statements get it as a literal; prepared ones get a bind marker at
// PREPARE (the extra variables are stripped from the client's PREPARED) and
// its value at each EXECUTE.

type nowState struct {
	gen      *nowfunc.Generator
	prepared sync.Map // string(client prepared id) -> *nowfunc.Prepared
}

func newNowState() *nowState { return &nowState{gen: nowfunc.NewGenerator()} }

func (n *nowState) lookup(id []byte) *nowfunc.Prepared {
	if p, ok := n.prepared.Load(string(id)); ok {
		return p.(*nowfunc.Prepared)
	}
	return nil
}

func isWrite(k classify.Kind) bool {
	return k == classify.KindInsert || k == classify.KindUpdate || k == classify.KindDelete || k == classify.KindBatch
}

// withMessage rebuilds request f with a new message after its envelope.
func withMessage(f frame.Frame, msgOff int, msg []byte) frame.Frame {
	body := make([]byte, 0, msgOff+len(msg))
	body = append(append(body, f.Body()[:msgOff]...), msg...)
	return frame.New(f.Version(), f.Flags(), f.Stream(), f.Opcode(), body)
}

func replaceLongString(msg []byte, s string) []byte {
	old := int(binary.BigEndian.Uint32(msg))
	out := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(s)+len(msg)-4-old), uint32(len(s)))
	return append(append(out, s...), msg[4+old:]...)
}

// rewriteNow returns the request to forward (f itself when nothing
// changes) and, for a PREPARE that was rewritten, its nowfunc.Prepared.
func (cc *clientConn) rewriteNow(f frame.Frame, msg []byte, msgOff int) (frame.Frame, []byte, *nowfunc.Prepared) {
	n := cc.srv.now
	v := primitive.ProtocolVersion(cc.version)
	var out []byte
	var p *nowfunc.Prepared
	switch f.Opcode() {
	case frame.OpQuery, frame.OpPrepare:
		q, err := classify.QueryString(msg)
		if err != nil || !nowfunc.Contains(string(q)) || !isWrite(classify.Query(q).Kind) {
			return f, msg, nil
		}
		if f.Opcode() == frame.OpQuery {
			nq, k := nowfunc.RewriteLiteral(string(q), n.gen.New())
			if k == 0 {
				return f, msg, nil
			}
			out = replaceLongString(msg, nq)
		} else {
			rp, ok := nowfunc.RewriteForPrepare(string(q))
			if !ok {
				return f, msg, nil
			}
			p = &rp
			out = replaceLongString(msg, rp.Query)
		}
	case frame.OpExecute:
		id, _, err := classify.ExecuteID(msg)
		if err != nil {
			return f, msg, nil
		}
		ep := n.lookup(id)
		if ep == nil {
			return f, msg, nil
		}
		if out, err = nowfunc.RewriteExecute(msg, v, ep, n.gen.New()); err != nil {
			cc.log.Warn("now() replacement: cannot rewrite EXECUTE; forwarding it unchanged", "err", err.Error())
			return f, msg, nil
		}
	case frame.OpBatch:
		b, changed, err := nowfunc.RewriteBatch(msg, v, n.lookup, n.gen.New)
		if err != nil || !changed {
			return f, msg, nil
		}
		out = b
	default:
		return f, msg, nil
	}
	nf := withMessage(f, msgOff, out)
	return nf, nf.Body()[msgOff:], p
}

// stripPrepared returns the PREPARED answer's transform: remember p under
// the id the client sees and hide the added variables from the client.
func (cc *clientConn) stripPrepared(p *nowfunc.Prepared) func(frame.Frame) frame.Frame {
	return func(out frame.Frame) frame.Frame {
		if out.Opcode() != frame.OpResult {
			return out
		}
		m, err := frame.ResponseMessage(out)
		if err != nil || len(m) < 4 || binary.BigEndian.Uint32(m) != 4 {
			return out
		}
		c := frame.Cursor{B: m[4:]}
		id := c.ShortBytes()
		if c.Err != nil {
			return out
		}
		stripped, names, err := nowfunc.StripVariables(m, primitive.ProtocolVersion(cc.version), p.Positions)
		if err != nil {
			cc.log.Warn("now() replacement: cannot strip variables from PREPARED", "err", err.Error())
			return out
		}
		q := *p
		if !q.Named {
			q.Names = names
		}
		cc.srv.now.prepared.Store(string(id), &q)
		envelope := out.Body()[:len(out.Body())-len(m)]
		body := append(append(make([]byte, 0, len(envelope)+len(stripped)), envelope...), stripped...)
		return frame.New(out[0], out.Flags(), out.Stream(), frame.OpResult, body)
	}
}
