package frame

import (
	"encoding/binary"
	"errors"
	"testing"
)

func u16(b []byte, v int) []byte { return binary.BigEndian.AppendUint16(b, uint16(v)) }

func str(b []byte, s string) []byte { return append(u16(b, len(s)), s...) }

func TestSkipOptionNested(t *testing.T) {
	// map<text, frozen<tuple<int, udt ks.u {a: list<custom 'C'>}>>>, then a marker.
	var b []byte
	b = u16(b, 0x0021)
	b = u16(b, 0x000D)
	b = u16(b, 0x0031)
	b = u16(b, 2)
	b = u16(b, 0x0009)
	b = u16(b, 0x0030)
	b = str(b, "ks")
	b = str(b, "u")
	b = u16(b, 1)
	b = str(b, "a")
	b = u16(b, 0x0020)
	b = u16(b, 0x0000)
	b = str(b, "C")
	typeLen := len(b)
	b = append(b, 0xEE)

	c := Cursor{B: b}
	c.SkipOption()
	if c.Err != nil || c.Pos(b) != typeLen || c.Byte() != 0xEE {
		t.Fatalf("err=%v pos=%d, want the whole type (%d bytes) skipped", c.Err, c.Pos(b), typeLen)
	}
	for cut := 0; cut < typeLen; cut++ {
		c := Cursor{B: b[:cut]}
		c.SkipOption()
		if !errors.Is(c.Err, ErrShortBody) {
			t.Fatalf("type cut at %d of %d: err=%v, want ErrShortBody", cut, typeLen, c.Err)
		}
	}
}

func TestSkipOptionRejects(t *testing.T) {
	c := Cursor{B: u16(nil, 0x0016)}
	c.SkipOption()
	if c.Err == nil {
		t.Fatal("unknown type id 0x0016 accepted")
	}
	var deep []byte
	for i := 0; i <= MaxTypeDepth+1; i++ {
		deep = u16(deep, 0x0020) // list<list<...
	}
	deep = u16(deep, 0x0009)
	c = Cursor{B: deep}
	c.SkipOption()
	if !errors.Is(c.Err, ErrTypeTooDeep) {
		t.Fatalf("err=%v, want ErrTypeTooDeep", c.Err)
	}
}

func TestPosAfterReads(t *testing.T) {
	b := []byte{0, 0, 0, 7, 0, 1, 'x', 9}
	c := Cursor{B: b}
	c.Int()
	c.ShortBytes()
	if c.Pos(b) != 7 {
		t.Fatalf("pos %d, want 7", c.Pos(b))
	}
	c.Int()
	if c.Err == nil || c.Pos(b) != len(b) {
		t.Fatalf("after a short read: err=%v pos=%d, want an error and pos %d", c.Err, c.Pos(b), len(b))
	}
}
