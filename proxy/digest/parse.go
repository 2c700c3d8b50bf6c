package digest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
)

// Result kinds and metadata flags of the native protocol (v3 to v5).
const (
	resultKindRows = 0x0002

	flagGlobalTablesSpec = 0x0001
	flagHasMorePages     = 0x0002
	flagNoMetadata       = 0x0004
	flagMetadataChanged  = 0x0008     // v5
	flagDseContinuous    = 0x40000000 // DSE continuous paging: [int page no]
)

// seed is fixed for the process so two bodies hash comparably.
var seed = maphash.MakeSeed()

// ErrNotRows is returned for a RESULT that is not of kind ROWS.
var ErrNotRows = errors.New("RESULT is not of kind ROWS")

// Digest summarizes the rows of one RESULT ROWS body.
type Digest struct {
	Rows    int
	Columns int
	Sum     uint64 // sum of the per-row hashes mod 2^64
	// Keyspace and Table come from the column specs; empty with no_metadata.
	Keyspace, Table string
	HasMorePages    bool
}

// SameRows reports whether d and o hold the same multiset of rows (up to
// hash collisions).
func (d Digest) SameRows(o Digest) bool {
	return d.Rows == o.Rows && d.Columns == o.Columns && d.Sum == o.Sum
}

// Rows digests a RESULT message body (starting at its [int] kind, without
// the frame's tracing id, warnings or custom payload: see StripEnvelope).
// The layout is the same in protocol v3, v4 and v5; the v5
// metadata_changed id is skipped when flagged.
func Rows(body []byte) (Digest, error) {
	r := reader{b: body}
	var d Digest
	kind := r.int32()
	if r.err == nil && kind != resultKindRows {
		return d, fmt.Errorf("%w (kind %d)", ErrNotRows, kind)
	}
	flags := r.int32()
	cols := r.int32()
	if r.err == nil && cols < 0 {
		return d, fmt.Errorf("rows metadata: negative column count %d", cols)
	}
	d.Columns = int(cols)
	if flags&flagHasMorePages != 0 {
		d.HasMorePages = true
		r.bytes() // paging state
	}
	if flags&flagMetadataChanged != 0 {
		r.shortBytes() // new result metadata id
	}
	if flags&flagDseContinuous != 0 {
		r.int32()
	}
	if flags&flagNoMetadata == 0 {
		d.Keyspace, d.Table = r.columnSpecs(int(cols), flags&flagGlobalTablesSpec != 0)
	}
	n := r.int32()
	if r.err != nil {
		return d, fmt.Errorf("rows metadata: %w", r.err)
	}
	if n < 0 {
		return d, fmt.Errorf("rows: negative row count %d", n)
	}
	// Every cell takes at least its 4-byte length: reject impossible counts
	// before looping over them.
	if int64(n)*int64(cols)*4 > int64(len(body)-r.off) {
		return d, fmt.Errorf("rows: %d rows of %d columns cannot fit in %d bytes", n, cols, len(body)-r.off)
	}
	d.Rows = int(n)
	if cols == 0 { // rows without cells are all alike
		d.Sum = uint64(n) * maphash.Bytes(seed, nil)
		n = 0
	}
	for i := int32(0); i < n; i++ {
		start := r.off
		for c := int32(0); c < cols && r.err == nil; c++ {
			r.bytes()
		}
		if r.err != nil {
			return d, fmt.Errorf("row %d of %d: %w", i, n, r.err)
		}
		d.Sum += maphash.Bytes(seed, body[start:r.off])
	}
	if r.off != len(body) {
		return d, fmt.Errorf("rows: %d trailing bytes after %d rows", len(body)-r.off, n)
	}
	return d, nil
}

var errShort = errors.New("body too short")

// reader walks a body; the first error sticks and later reads return zero.
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

func (r *reader) int32() int32 {
	b := r.take(4)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

func (r *reader) uint16() uint16 {
	b := r.take(2)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

// bytes reads a [bytes]; negative length is null.
func (r *reader) bytes() []byte {
	n := r.int32()
	if n < 0 {
		return nil
	}
	return r.take(int(n))
}

func (r *reader) shortBytes() []byte { return r.take(int(r.uint16())) }

func (r *reader) string() string { return string(r.take(int(r.uint16()))) }

func (r *reader) stringList() {
	n := int(r.uint16())
	for i := 0; i < n && r.err == nil; i++ {
		r.take(int(r.uint16()))
	}
}

func (r *reader) columnSpecs(cols int, global bool) (ks, table string) {
	if global {
		ks, table = r.string(), r.string()
	}
	for i := 0; i < cols && r.err == nil; i++ {
		if !global {
			k, t := r.string(), r.string()
			if i == 0 {
				ks, table = k, t
			}
		}
		r.take(int(r.uint16())) // column name
		r.option(0)
	}
	return ks, table
}

const maxTypeDepth = 32

// option skips a type [option], recursing into collections, UDTs, tuples.
func (r *reader) option(depth int) {
	if depth > maxTypeDepth {
		r.err = errors.New("type nesting too deep")
		return
	}
	id := r.uint16()
	if r.err != nil {
		return
	}
	switch {
	case id == 0x0000: // custom: [string] class name
		r.take(int(r.uint16()))
	case id <= 0x0015: // native types
	case id == 0x0020 || id == 0x0022: // list, set
		r.option(depth + 1)
	case id == 0x0021: // map
		r.option(depth + 1)
		r.option(depth + 1)
	case id == 0x0030: // udt: ks, name, n, n*(field name, type)
		r.take(int(r.uint16()))
		r.take(int(r.uint16()))
		n := int(r.uint16())
		for i := 0; i < n && r.err == nil; i++ {
			r.take(int(r.uint16()))
			r.option(depth + 1)
		}
	case id == 0x0031: // tuple
		n := int(r.uint16())
		for i := 0; i < n && r.err == nil; i++ {
			r.option(depth + 1)
		}
	default:
		r.err = fmt.Errorf("unknown type id 0x%04x", id)
	}
}

// Response header flags that prefix the message body.
const (
	HeaderFlagTracing       = 0x02
	HeaderFlagCustomPayload = 0x04
	HeaderFlagWarning       = 0x08
)

// StripEnvelope returns the message body of a response frame body, past
// the tracing id, warnings and custom payload its header flags announce (in
// the specification's order: tracing id, warnings, custom payload).
func StripEnvelope(body []byte, headerFlags uint8) ([]byte, error) {
	r := reader{b: body}
	if headerFlags&HeaderFlagTracing != 0 {
		r.take(16)
	}
	if headerFlags&HeaderFlagWarning != 0 {
		r.stringList()
	}
	if headerFlags&HeaderFlagCustomPayload != 0 {
		n := int(r.uint16())
		for i := 0; i < n && r.err == nil; i++ {
			r.take(int(r.uint16()))
			r.bytes()
		}
	}
	if r.err != nil {
		return nil, fmt.Errorf("response envelope: %w", r.err)
	}
	return body[r.off:], nil
}
