package proxy

import (
	"bytes"
	"encoding/binary"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// batchChild is a prepared statement inside a BATCH.
type batchChild struct {
	clientID []byte
	entry    *psEntry
}

// appendExecuteFor appends f (an EXECUTE frame) to dst with the prepared id
// (and v5 result_metadata_id) replaced by cluster c's, and the stream set.
// msgOff is where the message starts in the body (after a custom payload).
func appendExecuteFor(dst []byte, f frame.Frame, msgOff int, e *psEntry, c Cluster, stream int16) []byte {
	body := f.Body()
	cur := frame.Cursor{B: body[msgOff:]}
	id := cur.ShortBytes()
	var meta []byte
	v5 := f.Version() >= 5
	if v5 {
		meta = cur.ShortBytes()
	}
	if cur.Err != nil || (bytes.Equal(id, e.ids[c]) && (!v5 || bytes.Equal(meta, e.metaIDs[c]))) {
		start := len(dst)
		dst = append(dst, f...)
		frame.Frame(dst[start:]).SetStream(stream)
		return dst
	}
	rest := cur.B
	newLen := msgOff + 2 + len(e.ids[c]) + len(rest)
	if v5 {
		newLen += 2 + len(e.metaIDs[c])
	}
	dst = frame.AppendHeader(dst, f[0], f.Flags(), stream, f.Opcode(), newLen)
	dst = append(dst, body[:msgOff]...)
	dst = frame.AppendShortBytes(dst, e.ids[c])
	if v5 {
		dst = frame.AppendShortBytes(dst, e.metaIDs[c])
	}
	return append(dst, rest...)
}

// parseBatchChildren returns the prepared children of a BATCH message and
// the unknown id if one is not in the cache.
func (s *Server) parseBatchChildren(msg []byte) (children []batchChild, unknown []byte, ok bool) {
	cur := frame.Cursor{B: msg}
	cur.Byte()
	n := int(cur.Short())
	for i := 0; i < n && cur.Err == nil; i++ {
		kind := cur.Byte()
		switch kind {
		case 0:
			cur.LongStringBytes()
		case 1:
			id := cur.ShortBytes()
			if cur.Err != nil {
				return nil, nil, false
			}
			e := s.ps.get(id)
			if e == nil {
				return nil, append([]byte(nil), id...), true
			}
			children = append(children, batchChild{clientID: append([]byte(nil), id...), entry: e})
		default:
			return nil, nil, false
		}
		skipValues(&cur)
	}
	if cur.Err != nil {
		return nil, nil, false
	}
	return children, nil, true
}

func skipValues(cur *frame.Cursor) {
	nv := int(cur.Short())
	for j := 0; j < nv && cur.Err == nil; j++ {
		cur.Bytes()
	}
}

// appendBatchFor appends a BATCH frame with every prepared child id replaced
// by cluster c's. When no id differs it copies the frame.
func appendBatchFor(dst []byte, f frame.Frame, msgOff int, children []batchChild, c Cluster, stream int16) []byte {
	same := true
	for _, ch := range children {
		if !bytes.Equal(ch.clientID, ch.entry.ids[c]) {
			same = false
			break
		}
	}
	if same {
		start := len(dst)
		dst = append(dst, f...)
		frame.Frame(dst[start:]).SetStream(stream)
		return dst
	}
	body := f.Body()
	hdrAt := len(dst)
	dst = frame.AppendHeader(dst, f[0], f.Flags(), stream, f.Opcode(), 0)
	bodyAt := len(dst)
	dst = append(dst, body[:msgOff]...)
	cur := frame.Cursor{B: body[msgOff:]}
	typ := cur.Byte()
	n := cur.Short()
	dst = append(dst, typ)
	dst = binary.BigEndian.AppendUint16(dst, n)
	ci := 0
	for i := 0; i < int(n); i++ {
		kind := cur.Byte()
		dst = append(dst, kind)
		if kind == 0 {
			q := cur.LongStringBytes()
			dst = binary.BigEndian.AppendUint32(dst, uint32(len(q)))
			dst = append(dst, q...)
		} else {
			cur.ShortBytes()
			dst = frame.AppendShortBytes(dst, children[ci].entry.ids[c])
			ci++
		}
		vstart := cur.B
		skipValues(&cur)
		dst = append(dst, vstart[:len(vstart)-len(cur.B)]...)
	}
	dst = append(dst, cur.B...)
	bl := len(dst) - bodyAt
	binary.BigEndian.PutUint32(dst[hdrAt+5:], uint32(bl))
	return dst
}
