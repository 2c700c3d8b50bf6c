package mutation

import (
	"github.com/zdmctl/zdmctl/proxy/frame"
)

// Value is one bound value: B nil means NULL unless Unset (v4+ "not set").
type Value struct {
	B     []byte
	Unset bool
}

// Statement is one statement of a request: its text (QUERY, or a BATCH child
// of kind 0) or prepared id, and its bound values (and names, if named).
type Statement struct {
	Query  []byte
	ID     []byte
	Values []Value
	Names  []string
}

// Statements returns the statements of a QUERY, EXECUTE or BATCH body and,
// for a BATCH, its type (else -1). The slices alias msg.
func Statements(opcode, version byte, msg []byte) ([]Statement, int, error) {
	c := frame.Cursor{B: msg}
	switch opcode {
	case frame.OpQuery, frame.OpExecute:
		var s Statement
		if opcode == frame.OpQuery {
			s.Query = c.LongStringBytes()
		} else {
			s.ID = c.ShortBytes()
			if version >= 5 {
				c.ShortBytes()
			}
		}
		c.Short()
		flags, _ := readFlags(&c, version)
		if flags&FlagValues != 0 {
			s.Values, s.Names = readValues(&c, flags&FlagNamesForValues != 0)
		}
		if c.Err != nil {
			return nil, -1, ErrMalformed
		}
		return []Statement{s}, -1, nil
	case frame.OpBatch:
		l, err := locateBatch(version, msg)
		if err != nil {
			return nil, -1, err
		}
		typ := int(c.Byte())
		n := int(c.Short())
		out := make([]Statement, 0, n)
		for i := 0; i < n && c.Err == nil; i++ {
			var s Statement
			if c.Byte() == 0 {
				s.Query = c.LongStringBytes()
			} else {
				s.ID = c.ShortBytes()
			}
			s.Values, s.Names = readValues(&c, l.Flags&FlagNamesForValues != 0)
			out = append(out, s)
		}
		if c.Err != nil {
			return nil, -1, ErrMalformed
		}
		return out, typ, nil
	}
	return nil, -1, ErrMalformed
}

func readValues(c *frame.Cursor, named bool) ([]Value, []string) {
	n := int(c.Short())
	if n == 0 || c.Err != nil {
		return nil, nil
	}
	vals := make([]Value, 0, n)
	var names []string
	for i := 0; i < n && c.Err == nil; i++ {
		if named {
			names = append(names, c.Str())
		}
		l := c.Int()
		switch {
		case l == -2:
			vals = append(vals, Value{Unset: true})
		case l < 0:
			vals = append(vals, Value{})
		default:
			vals = append(vals, Value{B: takeN(c, int(l))})
		}
	}
	return vals, names
}

func takeN(c *frame.Cursor, n int) []byte {
	if n > len(c.B) {
		c.Err = frame.ErrShortBody
		return nil
	}
	if n == 0 {
		return []byte{} // empty, not NULL
	}
	v := c.B[:n:n]
	c.B = c.B[n:]
	return v
}
