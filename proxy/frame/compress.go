package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/golang/snappy"
	"github.com/pierrec/lz4/v4"
)

// Compressor compresses frame bodies (v3/v4) and segment payloads (v5).
type Compressor interface {
	Name() string
	// AppendCompressedBody appends the compressed form of a frame body.
	AppendCompressedBody(dst, body []byte) ([]byte, error)
	// DecompressBody returns the decompressed frame body.
	DecompressBody(body []byte) ([]byte, error)
	// AppendCompressedSegment appends a compressed v5 segment payload (lz4 only).
	AppendCompressedSegment(dst, payload []byte) ([]byte, error)
	// DecompressSegment fills out (len = uncompressed length) from compressed.
	DecompressSegment(compressed, out []byte) error
}

// NewCompressor returns the compressor for a STARTUP COMPRESSION value, nil
// for "" and an error for unknown algorithms.
func NewCompressor(name string) (Compressor, error) {
	switch strings.ToLower(name) {
	case "":
		return nil, nil
	case "lz4":
		return lz4Compressor{}, nil
	case "snappy":
		return snappyCompressor{}, nil
	}
	return nil, fmt.Errorf("unsupported compression %q", name)
}

type lz4Compressor struct{}

func (lz4Compressor) Name() string { return "lz4" }

func (lz4Compressor) AppendCompressedBody(dst, body []byte) ([]byte, error) {
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	bound := lz4.CompressBlockBound(len(body))
	dst = grow(dst, bound)
	n, err := lz4.CompressBlock(body, dst[start+4:start+4+bound], nil)
	if err != nil {
		return dst[:start], err
	}
	if n == 0 && len(body) > 0 { // incompressible: lz4 wants a literal block
		return dst[:start], errors.New("lz4: incompressible body")
	}
	return dst[:start+4+n], nil
}

func (lz4Compressor) DecompressBody(body []byte) ([]byte, error) {
	if len(body) < 4 {
		return nil, errors.New("lz4: body shorter than its length prefix")
	}
	n := binary.BigEndian.Uint32(body)
	if n > MaxBodyLen || uint64(n) > 255*uint64(len(body))+16 { // lz4 cannot expand more than ~255x

		return nil, errors.New("lz4: uncompressed length over the frame limit")
	}
	out := make([]byte, n)
	if n == 0 {
		return out, nil
	}
	w, err := lz4.UncompressBlock(body[4:], out)
	if err != nil {
		return nil, fmt.Errorf("lz4: %w", err)
	}
	if w != int(n) {
		return nil, fmt.Errorf("lz4: decompressed %d bytes, header said %d", w, n)
	}
	return out, nil
}

func (lz4Compressor) AppendCompressedSegment(dst, payload []byte) ([]byte, error) {
	start := len(dst)
	bound := lz4.CompressBlockBound(len(payload))
	dst = grow(dst, bound)
	n, err := lz4.CompressBlock(payload, dst[start:start+bound], nil)
	if err != nil {
		return dst[:start], err
	}
	return dst[:start+n], nil
}

func (lz4Compressor) DecompressSegment(compressed, out []byte) error {
	w, err := lz4.UncompressBlock(compressed, out)
	if err != nil {
		return fmt.Errorf("lz4: %w", err)
	}
	if w != len(out) {
		return fmt.Errorf("lz4: decompressed %d bytes, header said %d", w, len(out))
	}
	return nil
}

type snappyCompressor struct{}

func (snappyCompressor) Name() string { return "snappy" }

func (snappyCompressor) AppendCompressedBody(dst, body []byte) ([]byte, error) {
	start := len(dst)
	bound := snappy.MaxEncodedLen(len(body))
	dst = grow(dst, bound)
	out := snappy.Encode(dst[start:start+bound], body)
	return dst[:start+len(out)], nil
}

func (snappyCompressor) DecompressBody(body []byte) ([]byte, error) {
	n, err := snappy.DecodedLen(body)
	if err != nil {
		return nil, fmt.Errorf("snappy: %w", err)
	}
	if n > MaxBodyLen || n > 64*len(body)+64 {
		return nil, errors.New("snappy: uncompressed length over the frame limit")
	}
	out, err := snappy.Decode(make([]byte, n), body)
	if err != nil {
		return nil, fmt.Errorf("snappy: %w", err)
	}
	return out, nil
}

func (snappyCompressor) AppendCompressedSegment(dst, payload []byte) ([]byte, error) {
	return dst, errors.New("snappy is not allowed with protocol v5")
}

func (snappyCompressor) DecompressSegment(compressed, out []byte) error {
	return errors.New("snappy is not allowed with protocol v5")
}

// grow makes room for n more bytes past len(b) and returns b with len
// extended by n.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), 2*cap(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}
