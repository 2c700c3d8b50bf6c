package frame

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/iotest"
)

// A header declaring 200 MiB followed by 4 KiB and EOF must cost about one
// read chunk, not the declared length (the old reader allocated it all).
func TestDeclaredLengthIsNotAllocated(t *testing.T) {
	h := AppendHeader(nil, 4, 0, 1, OpQuery, 0)
	binary.BigEndian.PutUint32(h[5:], 200<<20)
	in := append(h, make([]byte, 4<<10)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := NewReader(bytes.NewReader(in), 4096)
	_, err := r.ReadFrame()
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want unexpected EOF", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Fatalf("reading 4 KiB of a frame declaring 200 MiB allocated %d bytes", got)
	}
}

// Frames larger than a chunk arrive intact however the bytes are split.
func TestLargeFrameGrowsAsBytesArrive(t *testing.T) {
	for _, size := range []int{ReadChunk, ReadChunk + 1, 3*ReadChunk + 7, 1 << 20} {
		body := make([]byte, size)
		for i := range body {
			body[i] = byte(i * 7)
		}
		in := append([]byte(New(4, 0, 3, OpQuery, body)), New(4, 0, 4, OpOptions, nil)...)
		r := NewReader(iotest.HalfReader(bytes.NewReader(in)), 4096)
		f, err := r.ReadFrame()
		if err != nil || !bytes.Equal(f.Body(), body) || f.Stream() != 3 {
			t.Fatalf("size %d: err %v, body equal %v", size, err, err == nil && bytes.Equal(f.Body(), body))
		}
		if cap(f) > len(f) && size > ReadChunk && cap(f) > 2*len(f) {
			t.Fatalf("size %d: capacity %d for %d bytes", size, cap(f), len(f))
		}
		if f, err = r.ReadFrame(); err != nil || f.Opcode() != OpOptions {
			t.Fatalf("size %d: next frame: %v", size, err)
		}
	}
}

func TestMaxBodyLenRejectsBeforeReadingBody(t *testing.T) {
	h := AppendHeader(nil, 4, 0, 9, OpStartup, 0)
	binary.BigEndian.PutUint32(h[5:], HandshakeMaxBodyLen+1)
	r := NewReader(bytes.NewReader(h), 4096)
	r.Requests = true
	r.SetMaxBodyLen(HandshakeMaxBodyLen)
	_, err := r.ReadFrame()
	var pe *ProtocolError
	if !errors.As(err, &pe) || !pe.HasStream || pe.Stream != 9 {
		t.Fatalf("err = %v, want a protocol error on stream 9", err)
	}
	r.SetMaxBodyLen(1 << 40)
	if r.MaxBodyLen() != MaxBodyLen {
		t.Fatalf("limit %d above the protocol's", r.MaxBodyLen())
	}
}

// Reading a small frame costs exactly the frame itself.
func TestSmallFrameOneAllocation(t *testing.T) {
	one := New(4, 0, 1, OpQuery, make([]byte, 100))
	in := bytes.Repeat(one, 300)
	r := NewReader(bytes.NewReader(in), 16<<10)
	if n := testing.AllocsPerRun(200, func() {
		if _, err := r.ReadFrame(); err != nil {
			t.Fatal(err)
		}
	}); n != 1 {
		t.Fatalf("%v allocations per small frame, want 1", n)
	}
}
