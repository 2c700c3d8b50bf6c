package nowfunc

import (
	"encoding/binary"
	"fmt"

	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// Query flags of the native protocol.
const (
	flagValues    = 0x01
	flagWithNames = 0x40
)

// RewriteExecute returns a copy of an EXECUTE body (protocol v3 to v5,
// without frame envelope) whose values carry the timeuuid u for each of p's
// now() variables. A body without values gets the VALUES flag and a list
// holding only them. With named values, p.Names are used (see
// StripVariables for positional statements bound by name).
func RewriteExecute(body []byte, v primitive.ProtocolVersion, p *Prepared, u UUID) ([]byte, error) {
	if p == nil || len(p.Positions) == 0 {
		return body, nil
	}
	r := frame.Cursor{B: body}
	r.ShortBytes() // prepared id
	if v.SupportsResultMetadataId() {
		r.ShortBytes()
	}
	r.Short() // consistency
	flagsAt := r.Pos(body)
	var flags uint32
	if v.Uses4BytesQueryFlags() {
		flags = uint32(r.Int())
	} else {
		flags = uint32(r.Byte())
	}
	if r.Err != nil {
		return nil, fmt.Errorf("EXECUTE: %w", r.Err)
	}
	out := make([]byte, 0, len(body)+len(p.Positions)*(20+len("zdm_now_0")))
	out = append(out, body[:r.Pos(body)]...)
	var (
		consumed int
		err      error
	)
	rest := body[r.Pos(body):]
	switch {
	case flags&flagValues == 0:
		setFlag(out[flagsAt:], v, flagValues)
		out, _, err = InsertValues(out, []byte{0, 0}, p.Positions, u)
	case flags&flagWithNames != 0:
		if len(p.Names) != len(p.Positions) {
			return nil, fmt.Errorf("EXECUTE: %w", errNoNames)
		}
		out, consumed, err = InsertNamedValues(out, rest, p.Names, u)
	default:
		out, consumed, err = InsertValues(out, rest, p.Positions, u)
	}
	if err != nil {
		return nil, fmt.Errorf("EXECUTE: %w", err)
	}
	return append(out, rest[consumed:]...), nil
}

// setFlag sets a query flag in place (b starts at the flags).
func setFlag(b []byte, v primitive.ProtocolVersion, f uint32) {
	if v.Uses4BytesQueryFlags() {
		binary.BigEndian.PutUint32(b, binary.BigEndian.Uint32(b)|f)
		return
	}
	b[0] |= byte(f)
}
