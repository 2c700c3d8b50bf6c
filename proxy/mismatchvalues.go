package proxy

import "github.com/zdmctl/zdmctl/proxy/frame"

// log_mismatch_values: with it on, reads replayed on the secondary carry
// a copy of their bound values so a mismatch log can show them. Off (the
// default), nothing is copied.

// SetLogMismatchValues turns copying bound values for mismatch logs on or
// off (config load and reload).
func (s *Server) SetLogMismatchValues(on bool) { s.logValues.Store(on) }

// boundValues copies the values of a QUERY or EXECUTE message; nil when it
// has none or is malformed.
func boundValues(op, version byte, msg []byte) [][]byte {
	c := frame.Cursor{B: msg}
	if op == frame.OpQuery {
		c.LongStringBytes()
	} else {
		c.ShortBytes()
		if version >= 5 {
			c.ShortBytes() // result_metadata_id
		}
	}
	c.Short() // consistency
	var flags uint32
	if version >= 5 {
		flags = uint32(c.Int())
	} else {
		flags = uint32(c.Byte())
	}
	if c.Err != nil || flags&0x01 == 0 {
		return nil
	}
	n := int(c.Short())
	out := make([][]byte, 0, min(n, 64))
	for i := 0; i < n && c.Err == nil; i++ {
		if flags&0x40 != 0 {
			c.ShortBytes() // name
		}
		v := c.Bytes()
		if v != nil {
			v = append([]byte{}, v...)
		}
		out = append(out, v)
	}
	if c.Err != nil {
		return nil
	}
	return out
}
