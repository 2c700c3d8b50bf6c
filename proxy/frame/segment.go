package frame

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

// MaxSegmentPayload is the v5 limit on one segment's (uncompressed) payload.
const MaxSegmentPayload = 128*1024 - 1

const (
	segHeaderPlain      = 3
	segHeaderCompressed = 5
	crc24Len            = 3
	crc32Len            = 4
)

var (
	crc32Table   = crc32.MakeTable(crc32.IEEE)
	crc32Initial = crc32.Update(0, crc32Table, []byte{0xFA, 0x2D, 0x55, 0xCA})
)

func payloadCRC(b []byte) uint32 { return crc32.Update(crc32Initial, crc32Table, b) }

// headerCRC is the CRC24 over the first n little-endian bytes of data, as
// defined by the v5 spec (Koopman polynomial, initial 0x875060).
func headerCRC(data uint64, n int) uint32 {
	c := uint32(0x875060)
	for i := 0; i < n; i++ {
		c ^= uint32(data&0xff) << 16
		data >>= 8
		for j := 0; j < 8; j++ {
			c <<= 1
			if c&0x1000000 != 0 {
				c ^= 0x1974F0B
			}
		}
	}
	return c & 0xffffff
}

// appendSegment appends one segment carrying payload. With comp set, the
// compressed header layout is used (and the payload sent uncompressed when
// compression does not help, as the spec allows).
func appendSegment(dst, payload []byte, selfContained bool, comp Compressor) []byte {
	var hdr uint64
	n := segHeaderPlain
	var body []byte
	start := len(dst)
	if comp == nil {
		hdr = uint64(len(payload))
		if selfContained {
			hdr |= 1 << 17
		}
		body = payload
	} else {
		n = segHeaderCompressed
		// Reserve header+crc space, compress after it.
		dst = grow(dst, n+crc24Len)
		out, err := comp.AppendCompressedSegment(dst, payload)
		clen := len(out) - len(dst)
		if err != nil || clen >= len(payload) {
			dst = dst[:start+n+crc24Len]
			dst = append(dst, payload...)
			hdr = uint64(len(payload)) // uncompressed length 0 => not compressed
		} else {
			dst = out
			hdr = uint64(clen) | uint64(len(payload))<<17
		}
		if selfContained {
			hdr |= 1 << 34
		}
		putHeader(dst[start:], hdr, n)
		p := dst[start+n+crc24Len:]
		return binary.LittleEndian.AppendUint32(dst, payloadCRC(p))
	}
	dst = grow(dst, n+crc24Len)
	putHeader(dst[start:], hdr, n)
	dst = append(dst, body...)
	return binary.LittleEndian.AppendUint32(dst, payloadCRC(body))
}

func putHeader(b []byte, hdr uint64, n int) {
	c := headerCRC(hdr, n)
	for i := 0; i < n; i++ {
		b[i] = byte(hdr >> (8 * i))
	}
	b[n], b[n+1], b[n+2] = byte(c), byte(c>>8), byte(c>>16)
}

// AppendSegments wraps concatenated frames into v5 segments: frames are packed
// into self-contained segments of at most MaxSegmentPayload bytes; a frame
// larger than that is split over several non-self-contained segments.
func AppendSegments(dst, frames []byte, comp Compressor) []byte {
	for len(frames) > 0 {
		// Pack whole frames.
		n := 0
		for n < len(frames) {
			fl := frameLenAt(frames[n:])
			if fl <= 0 || n+fl > MaxSegmentPayload {
				break
			}
			n += fl
		}
		if n > 0 {
			dst = appendSegment(dst, frames[:n], true, comp)
			frames = frames[n:]
			continue
		}
		fl := frameLenAt(frames)
		if fl <= 0 || fl > len(frames) {
			fl = len(frames) // defensive: never loop forever
		}
		big := frames[:fl]
		for len(big) > 0 {
			m := min(len(big), MaxSegmentPayload)
			dst = appendSegment(dst, big[:m], false, comp)
			big = big[m:]
		}
		frames = frames[fl:]
	}
	return dst
}

func frameLenAt(b []byte) int {
	if len(b) < HeaderLen {
		return -1
	}
	return HeaderLen + int(binary.BigEndian.Uint32(b[5:9]))
}

var errSegmentCRC = errors.New("segment CRC mismatch")

// readSegment reads one segment and returns its (decompressed) payload, which
// is appended to buf.
func readSegment(r io.Reader, comp Compressor, buf []byte, scratchp *[]byte) (payload []byte, selfContained bool, err error) {
	scratch := *scratchp
	n := segHeaderPlain
	if comp != nil {
		n = segHeaderCompressed
	}
	var hb [segHeaderCompressed + crc24Len]byte
	if _, err = io.ReadFull(r, hb[:n+crc24Len]); err != nil {
		return nil, false, err
	}
	var hdr uint64
	for i := n - 1; i >= 0; i-- {
		hdr = hdr<<8 | uint64(hb[i])
	}
	want := uint32(hb[n]) | uint32(hb[n+1])<<8 | uint32(hb[n+2])<<16
	if headerCRC(hdr, n) != want {
		return nil, false, &ProtocolError{Msg: "segment header CRC mismatch"}
	}
	var plen, ulen int
	if comp == nil {
		plen = int(hdr & 0x1ffff)
		selfContained = hdr&(1<<17) != 0
	} else {
		plen = int(hdr & 0x1ffff)
		ulen = int((hdr >> 17) & 0x1ffff)
		selfContained = hdr&(1<<34) != 0
	}
	need := plen + crc32Len
	if cap(scratch) < need {
		scratch = make([]byte, need)
		*scratchp = scratch
	}
	scratch = scratch[:need]
	if _, err = io.ReadFull(r, scratch); err != nil {
		return nil, false, err
	}
	p := scratch[:plen]
	if payloadCRC(p) != binary.LittleEndian.Uint32(scratch[plen:]) {
		return nil, false, &ProtocolError{Msg: errSegmentCRC.Error()}
	}
	if comp != nil && ulen > 0 {
		start := len(buf)
		buf = grow(buf, ulen)
		if err := comp.DecompressSegment(p, buf[start:]); err != nil {
			return nil, false, &ProtocolError{Msg: "segment decompression: " + err.Error()}
		}
		return buf, selfContained, nil
	}
	return append(buf, p...), selfContained, nil
}
