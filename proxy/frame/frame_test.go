package frame

import (
	"bytes"
	"strings"
	"testing"

	"github.com/datastax/go-cassandra-native-protocol/compression/lz4"
	"github.com/datastax/go-cassandra-native-protocol/segment"
)

func frames(n, size int) []byte {
	var out []byte
	for i := 0; i < n; i++ {
		out = append(out, New(5, 0, int16(i), OpQuery, bytes.Repeat([]byte{byte(i)}, size))...)
	}
	return out
}

// The library's segment codec must decode what we encode, and vice versa.
func TestSegmentsInteroperateWithLibrary(t *testing.T) {
	for _, comp := range []bool{false, true} {
		var c Compressor
		codec := segment.NewCodec()
		if comp {
			c = lz4Compressor{}
			codec = segment.NewCodecWithCompression(lz4.Compressor{})
		}
		in := frames(3, 100)
		enc := AppendSegments(nil, in, c)
		seg, err := codec.DecodeSegment(bytes.NewReader(enc))
		if err != nil {
			t.Fatalf("library decode (compressed=%v): %v", comp, err)
		}
		if !seg.Header.IsSelfContained || !bytes.Equal(seg.Payload.UncompressedData, in) {
			t.Fatalf("library decoded a different payload (compressed=%v)", comp)
		}
		var buf bytes.Buffer
		if err := codec.EncodeSegment(&segment.Segment{Header: &segment.Header{IsSelfContained: true}, Payload: &segment.Payload{UncompressedData: in}}, &buf); err != nil {
			t.Fatal(err)
		}
		r := NewReader(&buf, 1024)
		r.SetSegmented(true)
		r.SetCompressor(c)
		for i := 0; i < 3; i++ {
			f, err := r.ReadFrame()
			if err != nil {
				t.Fatalf("read frame %d of library segment: %v", i, err)
			}
			if f.Stream() != int16(i) || len(f.Body()) != 100 {
				t.Fatalf("frame %d: stream %d body %d", i, f.Stream(), len(f.Body()))
			}
		}
	}
}

func TestLargeFrameSpansSegments(t *testing.T) {
	for _, c := range []Compressor{nil, lz4Compressor{}} {
		big := New(5, 0, 7, OpQuery, []byte(strings.Repeat("0123456789abcdef", 30_000)))
		in := append(append(frames(2, 10), big...), frames(1, 5)...)
		r := NewReader(bytes.NewReader(AppendSegments(nil, in, c)), 1024)
		r.SetSegmented(true)
		r.SetCompressor(c)
		var got []byte
		for i := 0; i < 4; i++ {
			f, err := r.ReadFrame()
			if err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			got = append(got, f...)
		}
		if !bytes.Equal(got, in) {
			t.Fatal("frames changed through multi-segment encoding")
		}
	}
}

func TestLegacyCompressionRoundTrip(t *testing.T) {
	for _, name := range []string{"lz4", "snappy"} {
		c, _ := NewCompressor(name)
		w := &bytes.Buffer{}
		wr := NewWriter(w)
		wr.Configure(false, c)
		body := []byte(strings.Repeat("compress me ", 100))
		if err := wr.Enqueue(New(4, 0, 1, OpQuery, body), 3); err != nil {
			t.Fatal(err)
		}
		if err := wr.Close(); err != nil {
			t.Fatal(err)
		}
		if w.Bytes()[1]&FlagCompressed == 0 || w.Len() >= HeaderLen+len(body) {
			t.Fatalf("%s: frame not compressed", name)
		}
		r := NewReader(w, 1024)
		r.SetCompressor(c)
		f, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if f.Stream() != 3 || !bytes.Equal(f.Body(), body) || f.Flags()&FlagCompressed != 0 {
			t.Fatalf("%s: round trip changed the frame", name)
		}
	}
}

func TestReaderRejects(t *testing.T) {
	cases := map[string][]byte{
		"bad version": {0x47, 0x45, 0x54, 0x20, 0, 0, 0, 0, 0},
		"too large":   AppendHeader(nil, 4, 0, 1, OpQuery, MaxBodyLen+1),
		"response":    New(4|ResponseBit, 0, 1, OpResult, nil),
		"bad opcode":  New(4, 0, 1, 0x33, nil),
	}
	for name, in := range cases {
		r := NewReader(bytes.NewReader(in), 64)
		r.Requests = true
		_, err := r.ReadFrame()
		if _, ok := err.(*ProtocolError); !ok {
			t.Fatalf("%s: err = %v, want *ProtocolError", name, err)
		}
	}
}

func TestWriterCoalesces(t *testing.T) {
	cw := &countingWriter{}
	w := NewWriter(cw)
	for i := 0; i < 100; i++ {
		if err := w.Enqueue(New(4, 0, 0, OpQuery, []byte("x")), int16(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if cw.writes != 1 || cw.n != 100*(HeaderLen+1) {
		t.Fatalf("writes=%d bytes=%d, want 1 write of all frames", cw.writes, cw.n)
	}
}

type countingWriter struct{ writes, n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.writes++; c.n += len(p); return len(p), nil }
