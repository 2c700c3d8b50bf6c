package classify

import (
	"errors"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// ErrMalformed is returned for request bodies that cannot be parsed.
var ErrMalformed = errors.New("malformed request body")

// QueryString returns the query string of a QUERY or PREPARE message body.
func QueryString(msg []byte) ([]byte, error) {
	c := frame.Cursor{B: msg}
	q := c.LongStringBytes()
	if c.Err != nil {
		return nil, ErrMalformed
	}
	return q, nil
}

// ExecuteID returns the prepared id of an EXECUTE message body and the
// offset just after it.
func ExecuteID(msg []byte) (id []byte, end int, err error) {
	c := frame.Cursor{B: msg}
	id = c.ShortBytes()
	if c.Err != nil {
		return nil, 0, ErrMalformed
	}
	return id, 2 + len(id), nil
}

// Request classifies a request frame body (message part, after any custom
// payload) by opcode. For EXECUTE it returns KindOther; the caller resolves
// the prepared id.
func Request(opcode byte, msg []byte) (Statement, error) {
	switch opcode {
	case frame.OpQuery, frame.OpPrepare:
		q, err := QueryString(msg)
		if err != nil {
			return Statement{}, err
		}
		return Query(q), nil
	case frame.OpBatch:
		return Statement{Kind: KindBatch}, nil
	case frame.OpExecute:
		if _, _, err := ExecuteID(msg); err != nil {
			return Statement{}, err
		}
		return Statement{Kind: KindOther}, nil
	}
	return Statement{Kind: KindOther}, nil
}

// queryFlagPagingState is the QUERY/EXECUTE parameters flag announcing a
// paging state.
const queryFlagPagingState = 0x08

// HasPagingState reports whether a QUERY or EXECUTE message continues a paged
// read (its paging state only makes sense on the cluster that issued it).
func HasPagingState(opcode, version byte, msg []byte) bool {
	c := frame.Cursor{B: msg}
	switch opcode {
	case frame.OpQuery:
		c.LongStringBytes()
	case frame.OpExecute:
		c.ShortBytes()
		if version >= 5 {
			c.ShortBytes()
		}
	default:
		return false
	}
	c.Short() // consistency
	var flags int32
	if version >= 5 {
		flags = c.Int()
	} else {
		flags = int32(c.Byte())
	}
	return c.Err == nil && flags&queryFlagPagingState != 0
}
