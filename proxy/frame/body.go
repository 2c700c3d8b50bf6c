package frame

import (
	"encoding/binary"
	"errors"
)

// ErrShortBody is returned when a body ends before a field does.
var ErrShortBody = errors.New("truncated message body")

// Cursor reads protocol primitives from a body without copying.
type Cursor struct {
	B   []byte
	Err error
}

func (c *Cursor) take(n int) []byte {
	if c.Err != nil {
		return nil
	}
	if n < 0 || n > len(c.B) {
		c.Err = ErrShortBody
		c.B = nil
		return nil
	}
	v := c.B[:n]
	c.B = c.B[n:]
	return v
}

// Byte reads one byte.
func (c *Cursor) Byte() byte {
	b := c.take(1)
	if b == nil {
		return 0
	}
	return b[0]
}

// Short reads a [short].
func (c *Cursor) Short() uint16 {
	b := c.take(2)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

// Int reads an [int].
func (c *Cursor) Int() int32 {
	b := c.take(4)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

// String reads a [string].
func (c *Cursor) Str() string { return string(c.take(int(c.Short()))) }

// LongStringBytes reads a [long string] without copying.
func (c *Cursor) LongStringBytes() []byte { return c.take(int(c.Int())) }

// ShortBytes reads [short bytes] without copying.
func (c *Cursor) ShortBytes() []byte { return c.take(int(c.Short())) }

// Bytes reads [bytes]; nil for a negative length.
func (c *Cursor) Bytes() []byte {
	n := c.Int()
	if n < 0 {
		return nil
	}
	return c.take(int(n))
}

// Skip drops n bytes.
func (c *Cursor) Skip(n int) { c.take(n) }

// StringList reads a [string list].
func (c *Cursor) StringList() []string {
	n := int(c.Short())
	var out []string
	for i := 0; i < n && c.Err == nil; i++ {
		out = append(out, c.Str())
	}
	return out
}

// StringMap reads a [string map].
func (c *Cursor) StringMap() map[string]string {
	n := int(c.Short())
	out := make(map[string]string, n)
	for i := 0; i < n && c.Err == nil; i++ {
		k := c.Str()
		out[k] = c.Str()
	}
	return out
}

// StringMultimap reads a [string multimap].
func (c *Cursor) StringMultimap() map[string][]string {
	n := int(c.Short())
	out := make(map[string][]string, n)
	for i := 0; i < n && c.Err == nil; i++ {
		k := c.Str()
		out[k] = c.StringList()
	}
	return out
}

// SkipBytesMap skips a [bytes map] (custom payload).
func (c *Cursor) SkipBytesMap() {
	n := int(c.Short())
	for i := 0; i < n && c.Err == nil; i++ {
		c.ShortBytesSkipString()
		c.Bytes()
	}
}

// ShortBytesSkipString skips a [string].
func (c *Cursor) ShortBytesSkipString() { c.take(int(c.Short())) }

// ResponseMessage returns the message part of a response body, skipping the
// tracing id, warnings and custom payload announced by flags.
func ResponseMessage(f Frame) ([]byte, error) {
	c := Cursor{B: f.Body()}
	fl := f.Flags()
	if fl&FlagTracing != 0 {
		c.Skip(16)
	}
	if fl&FlagWarning != 0 {
		c.StringList()
	}
	if fl&FlagCustomPayload != 0 {
		c.SkipBytesMap()
	}
	return c.B, c.Err
}

// RequestMessage returns the message part of a request body, skipping a
// custom payload.
func RequestMessage(f Frame) ([]byte, error) {
	if f.Flags()&FlagCustomPayload == 0 {
		return f.Body(), nil
	}
	c := Cursor{B: f.Body()}
	c.SkipBytesMap()
	return c.B, c.Err
}

// AppendString appends a [string].
func AppendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// AppendShortBytes appends [short bytes].
func AppendShortBytes(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

// AppendStringList appends a [string list].
func AppendStringList(b []byte, l []string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(l)))
	for _, s := range l {
		b = AppendString(b, s)
	}
	return b
}

// AppendStringMap appends a [string map] in the given key order.
func AppendStringMap(b []byte, keys []string, m map[string]string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(keys)))
	for _, k := range keys {
		b = AppendString(b, k)
		b = AppendString(b, m[k])
	}
	return b
}
