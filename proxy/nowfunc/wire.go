package nowfunc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

var errShort = errors.New("message too short")

// reader walks a message body; the first error sticks.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.err = errShort
		return nil
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}

func (r *reader) u8() byte {
	b := r.take(1)
	if b == nil {
		return 0
	}
	return b[0]
}

func (r *reader) u16() uint16 {
	b := r.take(2)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

func (r *reader) i32() int32 {
	b := r.take(4)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

func (r *reader) shortBytes() []byte { return r.take(int(r.u16())) }

// value reads a [value]: [int n] then n bytes; n<0 is null (-1) or unset (-2).
func (r *reader) value() {
	n := r.i32()
	if n > 0 {
		r.take(int(n))
	}
}

const maxTypeDepth = 32

// option skips a type [option].
func (r *reader) option(depth int) {
	if depth > maxTypeDepth {
		r.err = errors.New("type nesting too deep")
		return
	}
	id := r.u16()
	if r.err != nil {
		return
	}
	switch {
	case id == 0x0000:
		r.shortBytes()
	case id <= 0x0015:
	case id == 0x0020 || id == 0x0022:
		r.option(depth + 1)
	case id == 0x0021:
		r.option(depth + 1)
		r.option(depth + 1)
	case id == 0x0030:
		r.shortBytes()
		r.shortBytes()
		n := int(r.u16())
		for i := 0; i < n && r.err == nil; i++ {
			r.shortBytes()
			r.option(depth + 1)
		}
	case id == 0x0031:
		n := int(r.u16())
		for i := 0; i < n && r.err == nil; i++ {
			r.option(depth + 1)
		}
	default:
		r.err = fmt.Errorf("unknown type id 0x%04x", id)
	}
}

func appendU16(b []byte, v int) []byte { return binary.BigEndian.AppendUint16(b, uint16(v)) }
func appendI32(b []byte, v int) []byte { return binary.BigEndian.AppendUint32(b, uint32(v)) }

func appendUUIDValue(b []byte, u UUID) []byte {
	b = appendI32(b, 16)
	return append(b, u[:]...)
}
