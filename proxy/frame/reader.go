package frame

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// Reader reads frames from a connection, either with the legacy layout
// (v3/v4, and v5 before the handshake switches) or inside v5 segments.
// Frames it returns are uncompressed (the compressed flag is cleared) and
// owned by the caller.
type Reader struct {
	r          *bufio.Reader
	comp       Compressor
	segmented  bool
	pending    []byte // decoded segment payload not yet returned as frames
	multi      []byte // accumulating a frame split over segments
	scratch    []byte
	maxBodyLen int
	hdr        [HeaderLen]byte // legacy header being read (a field: no allocation)
	budget     Budget          // shared bound on large frames being read (nil: none)
	held       int             // bytes of budget held for the last frame
	// Requests tells the reader it reads client requests: response-bit frames
	// and unknown opcodes are protocol errors.
	Requests bool
}

// NewReader reads from r with a buffer of size bufSize.
func NewReader(r io.Reader, bufSize int) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, bufSize), maxBodyLen: MaxBodyLen}
}

// SetMaxBodyLen sets the largest accepted body length; a frame declaring
// more is a ProtocolError. The proxy keeps it small until a client has
// logged in (HandshakeMaxBodyLen) and raises it to proxy_max_frame_bytes
// afterwards. It never exceeds MaxBodyLen.
func (r *Reader) SetMaxBodyLen(n int) { r.maxBodyLen = min(n, MaxBodyLen) }

// MaxBodyLen returns the current body length limit.
func (r *Reader) MaxBodyLen() int { return r.maxBodyLen }

// SetCompressor enables decompression (set after STARTUP negotiated it).
func (r *Reader) SetCompressor(c Compressor) { r.comp = c }

// SetSegmented switches to the v5 segment layout.
func (r *Reader) SetSegmented(on bool) { r.segmented = on }

// Segmented reports whether v5 segment layout is in use.
func (r *Reader) Segmented() bool { return r.segmented }

// ReadFrame returns the next frame.
func (r *Reader) ReadFrame() (Frame, error) {
	if r.held > 0 {
		r.ReleaseBudget() // the caller is done with the previous frame
	}
	if !r.segmented {
		return r.readLegacy()
	}
	for {
		if len(r.pending) > 0 {
			return r.nextPending()
		}
		payload, self, err := readSegment(r.r, r.comp, r.pending[:0], &r.scratch)
		if err != nil {
			return nil, err
		}
		if self {
			if len(r.multi) > 0 {
				return nil, &ProtocolError{Msg: "self-contained segment inside a multi-segment frame"}
			}
			r.pending = payload
			continue
		}
		if need := len(r.multi) + len(payload); need > cap(r.multi) && need > ReadChunk {
			// A large frame over several segments: its buffer grows as
			// segments arrive; the growth past ReadChunk comes from the budget.
			nc := max(need, 2*cap(r.multi))
			if err := r.acquire(nc-max(cap(r.multi), ReadChunk), r.multiHeader(payload)); err != nil {
				return nil, err
			}
			nm := make([]byte, len(r.multi), nc)
			copy(nm, r.multi)
			r.multi = nm
		}
		r.multi = append(r.multi, payload...)
		r.pending = payload[:0]
		if len(r.multi) >= HeaderLen {
			want := HeaderLen + int(binary.BigEndian.Uint32(r.multi[5:9]))
			if err := r.checkHeader(r.multi); err != nil {
				return nil, err
			}
			if len(r.multi) == want {
				f := Frame(r.multi)
				r.multi = nil
				return r.finish(f)
			}
			if len(r.multi) > want {
				return nil, &ProtocolError{Msg: "multi-segment frame longer than its header says"}
			}
		}
	}
}

// multiHeader is the header of the multi-segment frame being assembled
// (for error reports), from what arrived so far.
func (r *Reader) multiHeader(payload []byte) []byte {
	h := make([]byte, HeaderLen)
	n := copy(h, r.multi)
	copy(h[n:], payload)
	return h
}

func (r *Reader) nextPending() (Frame, error) {
	p := r.pending
	if len(p) < HeaderLen {
		r.pending = nil
		return nil, &ProtocolError{Msg: "truncated frame header in segment"}
	}
	if err := r.checkHeader(p); err != nil {
		r.pending = nil
		return nil, err
	}
	n := HeaderLen + int(binary.BigEndian.Uint32(p[5:9]))
	if n > len(p) {
		r.pending = nil
		return nil, &ProtocolError{Version: p[0] &^ ResponseBit, Stream: Frame(p).Stream(), HasStream: true, Msg: "truncated frame in self-contained segment"}
	}
	f := make(Frame, n)
	copy(f, p[:n])
	r.pending = p[n:]
	if len(r.pending) == 0 {
		r.pending = p[:0]
	}
	return r.finish(f)
}

func (r *Reader) readLegacy() (Frame, error) {
	h := &r.hdr
	if _, err := io.ReadFull(r.r, h[:1]); err != nil {
		return nil, err
	}
	v := h[0] &^ ResponseBit
	if v < 3 || v > 6 {
		// v1/v2 headers are 8 bytes with a 1-byte stream; answer without one.
		return nil, &ProtocolError{Version: v, Msg: fmt.Sprintf("Invalid or unsupported protocol version (%d); supported versions are (3/v3, 4/v4, 5/v5)", v)}
	}
	if _, err := io.ReadFull(r.r, h[1:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if err := r.checkHeader(h[:]); err != nil {
		return nil, err
	}
	f, err := r.readBody(h[:], int(binary.BigEndian.Uint32(h[5:9])))
	if err != nil {
		return nil, err
	}
	if f.Flags()&FlagCompressed != 0 && r.comp != nil {
		body, err := r.comp.DecompressBody(f.Body())
		if err != nil {
			return nil, &ProtocolError{Version: f.Version(), Stream: f.Stream(), HasStream: true, Msg: err.Error()}
		}
		if len(body) > r.maxBodyLen {
			return nil, &ProtocolError{Version: f.Version(), Stream: f.Stream(), HasStream: true,
				Msg: fmt.Sprintf("decompressed frame body length %d exceeds the limit of %d bytes", len(body), r.maxBodyLen)}
		}
		nf := make(Frame, 0, HeaderLen+len(body))
		nf = AppendHeader(nf, f[0], f.Flags()&^FlagCompressed, f.Stream(), f.Opcode(), len(body))
		f = append(nf, body...)
	}
	return r.finish(f)
}

func (r *Reader) checkHeader(h []byte) error {
	v := h[0] &^ ResponseBit
	stream := int16(binary.BigEndian.Uint16(h[2:4]))
	if v < 3 || v > 6 {
		return &ProtocolError{Version: v, Msg: fmt.Sprintf("Invalid or unsupported protocol version (%d)", v)}
	}
	n := binary.BigEndian.Uint32(h[5:9])
	if n > uint32(r.maxBodyLen) {
		return &ProtocolError{Version: v, Stream: stream, HasStream: true, Msg: fmt.Sprintf("frame body length %d exceeds the limit of %d bytes", n, r.maxBodyLen)}
	}
	if r.Requests {
		if h[0]&ResponseBit != 0 {
			return &ProtocolError{Version: v, Stream: stream, HasStream: true, Msg: "response frame sent by a client"}
		}
		if !IsRequestOpcode(h[4]) {
			return &ProtocolError{Version: v, Stream: stream, HasStream: true, Msg: fmt.Sprintf("unknown or non-request opcode 0x%02x", h[4])}
		}
	}
	return nil
}

func (r *Reader) finish(f Frame) (Frame, error) {
	if r.segmented && f.Flags()&FlagCompressed != 0 {
		// v5 frames inside segments never carry the compressed flag.
		f[1] &^= FlagCompressed
	}
	return f, nil
}

// HasBufferedFrame reports whether the next ReadFrame can return without
// reading from the connection (a whole frame or segment is buffered). Use it
// to flush writers only when the input is drained.
func (r *Reader) HasBufferedFrame() bool {
	if r.segmented {
		if len(r.pending) > 0 {
			return true
		}
		n := segHeaderPlain
		if r.comp != nil {
			n = segHeaderCompressed
		}
		if r.r.Buffered() < n+crc24Len {
			return false
		}
		h, _ := r.r.Peek(n)
		plen := int(h[0]) | int(h[1])<<8 | int(h[2]&1)<<16
		return r.r.Buffered() >= n+crc24Len+plen+crc32Len
	}
	if r.r.Buffered() < HeaderLen {
		return false
	}
	h, _ := r.r.Peek(HeaderLen)
	n := int(binary.BigEndian.Uint32(h[5:9]))
	return r.r.Buffered() >= HeaderLen+n
}
