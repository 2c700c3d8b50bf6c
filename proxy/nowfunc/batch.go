package nowfunc

import (
	"fmt"

	"github.com/datastax/go-cassandra-native-protocol/primitive"
)

// RewriteBatch returns a copy of a BATCH body with now() replaced in every
// child: query-string children are rewritten with RewriteLiteral, prepared
// children for which lookup (by prepared id) returns a Prepared get their
// values inserted. Each rewritten child gets its own gen() timeuuid. Batch
// values are positional (Cassandra ignores names in batches). changed is
// false, and body returned as is, when nothing was rewritten. The child
// layout is the same in v3 to v5; v is kept for symmetry with RewriteExecute.
func RewriteBatch(body []byte, v primitive.ProtocolVersion, lookup func(id []byte) *Prepared, gen func() UUID) (out []byte, changed bool, err error) {
	r := reader{b: body}
	r.u8() // batch type
	n := int(r.u16())
	if r.err != nil {
		return nil, false, fmt.Errorf("BATCH: %w", r.err)
	}
	out = make([]byte, 0, len(body)+64)
	out = append(out, body[:r.off]...)
	for i := 0; i < n; i++ {
		kind := r.u8()
		switch kind {
		case 0: // [long string] query
			ln := int(r.i32())
			q := r.take(ln)
			if r.err != nil {
				return nil, false, fmt.Errorf("BATCH child %d: %w", i, r.err)
			}
			if Contains(string(q)) {
				nq, _ := RewriteLiteral(string(q), gen())
				out = append(out, 0)
				out = appendI32(out, len(nq))
				out = append(out, nq...)
				changed = true
			} else {
				out = append(out, body[r.off-ln-5:r.off]...)
			}
			start := r.off
			skipValues(&r)
			out = append(out, body[start:r.off]...)
		case 1: // [short bytes] prepared id
			idStart := r.off
			id := r.shortBytes()
			if r.err != nil {
				return nil, false, fmt.Errorf("BATCH child %d: %w", i, r.err)
			}
			out = append(out, 1)
			out = append(out, body[idStart:r.off]...)
			if p := lookup(id); p != nil && len(p.Positions) > 0 {
				var consumed int
				out, consumed, err = InsertValues(out, body[r.off:], p.Positions, gen())
				if err != nil {
					return nil, false, fmt.Errorf("BATCH child %d: %w", i, err)
				}
				r.off += consumed
				changed = true
			} else {
				start := r.off
				skipValues(&r)
				out = append(out, body[start:r.off]...)
			}
		default:
			return nil, false, fmt.Errorf("BATCH child %d: unknown kind %d", i, kind)
		}
		if r.err != nil {
			return nil, false, fmt.Errorf("BATCH child %d values: %w", i, r.err)
		}
	}
	if !changed {
		return body, false, nil
	}
	return append(out, body[r.off:]...), true, nil
}

func skipValues(r *reader) {
	n := int(r.u16())
	for i := 0; i < n && r.err == nil; i++ {
		r.value()
	}
}
