// Package mutation reads and sets the parts of a write request (QUERY,
// EXECUTE, BATCH message bodies, protocol v3 to v5) that the write path
// needs: where the consistency, the flags and the client timestamp are, and
// the statements with their bound values for the journal. It works on raw
// bytes and does not allocate on the path that finds nothing to change.
package mutation

import (
	"encoding/binary"
	"errors"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// Query parameter flags (QUERY, EXECUTE; BATCH uses the same bits for the
// ones it has).
const (
	FlagValues            = 0x01
	FlagSkipMetadata      = 0x02
	FlagPageSize          = 0x04
	FlagPagingState       = 0x08
	FlagSerialConsistency = 0x10
	FlagDefaultTimestamp  = 0x20
	FlagNamesForValues    = 0x40
	FlagKeyspace          = 0x80  // v5
	FlagNowInSeconds      = 0x100 // v5
)

// ErrMalformed is returned for a body that does not parse.
var ErrMalformed = errors.New("mutation: malformed request body")

// Layout locates the fields of a QUERY, EXECUTE or BATCH message body.
type Layout struct {
	ConsistencyAt int    // offset of the [consistency]
	FlagsAt       int    // offset of the flags
	FlagsLen      int    // 1 (v3, v4) or 4 (v5)
	Flags         uint32 // their value
	// TimestampAt is the offset of the timestamp when FlagDefaultTimestamp
	// is set, or else where one is inserted.
	TimestampAt int
}

// HasTimestamp reports whether the request carries a client timestamp.
func (l Layout) HasTimestamp() bool { return l.Flags&FlagDefaultTimestamp != 0 }

// Timestamp returns the client timestamp (microseconds) if there is one.
func (l Layout) Timestamp(msg []byte) (int64, bool) {
	if !l.HasTimestamp() || l.TimestampAt+8 > len(msg) {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(msg[l.TimestampAt:])), true
}

// Consistency returns the request's consistency.
func (l Layout) Consistency(msg []byte) uint16 {
	return binary.BigEndian.Uint16(msg[l.ConsistencyAt:])
}

// Locate parses a QUERY, EXECUTE or BATCH message body of protocol version.
func Locate(opcode, version byte, msg []byte) (Layout, error) {
	c := frame.Cursor{B: msg}
	switch opcode {
	case frame.OpQuery:
		c.LongStringBytes()
	case frame.OpExecute:
		c.ShortBytes()
		if version >= 5 {
			c.ShortBytes() // result metadata id
		}
	case frame.OpBatch:
		return locateBatch(version, msg)
	default:
		return Layout{}, ErrMalformed
	}
	var l Layout
	l.ConsistencyAt = c.Pos(msg)
	c.Short()
	l.FlagsAt = c.Pos(msg)
	l.Flags, l.FlagsLen = readFlags(&c, version)
	if l.Flags&FlagValues != 0 {
		n := int(c.Short())
		for i := 0; i < n && c.Err == nil; i++ {
			if l.Flags&FlagNamesForValues != 0 {
				c.ShortBytesSkipString()
			}
			c.Bytes()
		}
	}
	if l.Flags&FlagPageSize != 0 {
		c.Skip(4)
	}
	if l.Flags&FlagPagingState != 0 {
		c.Bytes()
	}
	if l.Flags&FlagSerialConsistency != 0 {
		c.Skip(2)
	}
	l.TimestampAt = c.Pos(msg)
	if l.Flags&FlagDefaultTimestamp != 0 {
		c.Skip(8)
	}
	if c.Err != nil {
		return Layout{}, ErrMalformed
	}
	return l, nil
}

func readFlags(c *frame.Cursor, version byte) (uint32, int) {
	if version >= 5 {
		return uint32(c.Int()), 4
	}
	return uint32(c.Byte()), 1
}

func locateBatch(version byte, msg []byte) (Layout, error) {
	c := frame.Cursor{B: msg}
	c.Byte() // type
	n := int(c.Short())
	// Batch flags come after the children; their names flag (unused by
	// drivers) would put a name before each value, so a first pass without
	// names that does not land on a consistent end is retried with names.
	start := c
	l, err := batchTail(version, msg, start, n, false)
	if err != nil {
		return batchTail(version, msg, start, n, true)
	}
	return l, nil
}

func batchTail(version byte, msg []byte, c frame.Cursor, n int, names bool) (Layout, error) {
	skipChildren(&c, n, names)
	var l Layout
	l.ConsistencyAt = c.Pos(msg)
	c.Short()
	l.FlagsAt = c.Pos(msg)
	l.Flags, l.FlagsLen = readFlags(&c, version)
	if c.Err != nil || (l.Flags&FlagNamesForValues != 0) != names {
		return Layout{}, ErrMalformed
	}
	if l.Flags&FlagSerialConsistency != 0 {
		c.Skip(2)
	}
	l.TimestampAt = c.Pos(msg)
	if l.Flags&FlagDefaultTimestamp != 0 {
		c.Skip(8)
	}
	if l.Flags&FlagKeyspace != 0 {
		c.ShortBytesSkipString()
	}
	if l.Flags&FlagNowInSeconds != 0 {
		c.Skip(4)
	}
	if c.Err != nil || len(c.B) != 0 {
		return Layout{}, ErrMalformed
	}
	return l, nil
}

func skipChildren(c *frame.Cursor, n int, names bool) {
	for i := 0; i < n && c.Err == nil; i++ {
		if c.Byte() == 0 {
			c.LongStringBytes()
		} else {
			c.ShortBytes()
		}
		nv := int(c.Short())
		for j := 0; j < nv && c.Err == nil; j++ {
			if names {
				c.ShortBytesSkipString()
			}
			c.Bytes()
		}
	}
}

// WithTimestamp appends to dst the message msg carrying timestamp ts: the
// default-timestamp flag set and the value inserted where the protocol puts
// it. l must be msg's Layout, without a timestamp.
func WithTimestamp(dst, msg []byte, l Layout, ts int64) []byte {
	start := len(dst)
	dst = append(dst, msg[:l.TimestampAt]...)
	flags := dst[start+l.FlagsAt:]
	if l.FlagsLen == 4 {
		binary.BigEndian.PutUint32(flags, binary.BigEndian.Uint32(flags)|FlagDefaultTimestamp)
	} else {
		flags[0] |= FlagDefaultTimestamp
	}
	dst = binary.BigEndian.AppendUint64(dst, uint64(ts))
	return append(dst, msg[l.TimestampAt:]...)
}

// SetConsistency overwrites the consistency of msg in place.
func SetConsistency(msg []byte, l Layout, cl uint16) {
	binary.BigEndian.PutUint16(msg[l.ConsistencyAt:], cl)
}
