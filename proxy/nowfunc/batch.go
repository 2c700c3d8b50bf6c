package nowfunc

import (
	"fmt"

	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// RewriteBatch returns a copy of a BATCH body with now() replaced in every
// child: query-string children are rewritten with RewriteLiteral, prepared
// children for which lookup (by prepared id) returns a Prepared get their
// values inserted. Each rewritten child gets its own gen() timeuuid. Batch
// values are positional (Cassandra ignores names in batches). changed is
// false, and body returned as is, when nothing was rewritten. The child
// layout is the same in v3 to v5; v is kept for symmetry with RewriteExecute.
func RewriteBatch(body []byte, v primitive.ProtocolVersion, lookup func(id []byte) *Prepared, gen func() UUID) (out []byte, changed bool, err error) {
	r := frame.Cursor{B: body}
	r.Byte() // batch type
	n := int(r.Short())
	if r.Err != nil {
		return nil, false, fmt.Errorf("BATCH: %w", r.Err)
	}
	out = make([]byte, 0, len(body)+64)
	out = append(out, body[:r.Pos(body)]...)
	for i := 0; i < n; i++ {
		kind := r.Byte()
		switch kind {
		case 0: // [long string] query
			q := r.LongStringBytes()
			ln := len(q)
			if r.Err != nil {
				return nil, false, fmt.Errorf("BATCH child %d: %w", i, r.Err)
			}
			if Contains(string(q)) {
				nq, _ := RewriteLiteral(string(q), gen())
				out = append(out, 0)
				out = appendI32(out, len(nq))
				out = append(out, nq...)
				changed = true
			} else {
				out = append(out, body[r.Pos(body)-ln-5:r.Pos(body)]...)
			}
			start := r.Pos(body)
			skipValues(&r)
			out = append(out, body[start:r.Pos(body)]...)
		case 1: // [short bytes] prepared id
			idStart := r.Pos(body)
			id := r.ShortBytes()
			if r.Err != nil {
				return nil, false, fmt.Errorf("BATCH child %d: %w", i, r.Err)
			}
			out = append(out, 1)
			out = append(out, body[idStart:r.Pos(body)]...)
			if p := lookup(id); p != nil && len(p.Positions) > 0 {
				var consumed int
				out, consumed, err = InsertValues(out, r.B, p.Positions, gen())
				if err != nil {
					return nil, false, fmt.Errorf("BATCH child %d: %w", i, err)
				}
				r.Skip(consumed)
				changed = true
			} else {
				start := r.Pos(body)
				skipValues(&r)
				out = append(out, body[start:r.Pos(body)]...)
			}
		default:
			return nil, false, fmt.Errorf("BATCH child %d: unknown kind %d", i, kind)
		}
		if r.Err != nil {
			return nil, false, fmt.Errorf("BATCH child %d values: %w", i, r.Err)
		}
	}
	if !changed {
		return body, false, nil
	}
	return append(out, body[r.Pos(body):]...), true, nil
}

func skipValues(r *frame.Cursor) {
	n := int(r.Short())
	for i := 0; i < n && r.Err == nil; i++ {
		r.Bytes()
	}
}
