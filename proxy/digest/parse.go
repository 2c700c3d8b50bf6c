package digest

import (
	"errors"
	"fmt"
	"hash/maphash"

	"github.com/zdmctl/zdmctl/proxy/frame"
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
	c := frame.Cursor{B: body}
	var d Digest
	kind := c.Int()
	if c.Err == nil && kind != resultKindRows {
		return d, fmt.Errorf("%w (kind %d)", ErrNotRows, kind)
	}
	flags := c.Int()
	cols := c.Int()
	if c.Err == nil && cols < 0 {
		return d, fmt.Errorf("rows metadata: negative column count %d", cols)
	}
	d.Columns = int(cols)
	if flags&flagHasMorePages != 0 {
		d.HasMorePages = true
		c.Bytes() // paging state
	}
	if flags&flagMetadataChanged != 0 {
		c.ShortBytes() // new result metadata id
	}
	if flags&flagDseContinuous != 0 {
		c.Int()
	}
	if flags&flagNoMetadata == 0 {
		d.Keyspace, d.Table = columnSpecs(&c, int(cols), flags&flagGlobalTablesSpec != 0)
	}
	n := c.Int()
	if c.Err != nil {
		return d, fmt.Errorf("rows metadata: %w", c.Err)
	}
	if n < 0 {
		return d, fmt.Errorf("rows: negative row count %d", n)
	}
	// Every cell takes at least its 4-byte length: reject impossible counts
	// before looping over them.
	if int64(n)*int64(cols)*4 > int64(len(c.B)) {
		return d, fmt.Errorf("rows: %d rows of %d columns cannot fit in %d bytes", n, cols, len(c.B))
	}
	d.Rows = int(n)
	if cols == 0 { // rows without cells are all alike
		d.Sum = uint64(n) * maphash.Bytes(seed, nil)
		n = 0
	}
	for i := int32(0); i < n; i++ {
		row := c.B
		for col := int32(0); col < cols && c.Err == nil; col++ {
			c.Bytes()
		}
		if c.Err != nil {
			return d, fmt.Errorf("row %d of %d: %w", i, n, c.Err)
		}
		d.Sum += maphash.Bytes(seed, row[:len(row)-len(c.B)])
	}
	if len(c.B) != 0 {
		return d, fmt.Errorf("rows: %d trailing bytes after %d rows", len(c.B), n)
	}
	return d, nil
}

func columnSpecs(c *frame.Cursor, cols int, global bool) (ks, table string) {
	if global {
		ks, table = c.Str(), c.Str()
	}
	for i := 0; i < cols && c.Err == nil; i++ {
		if !global {
			k, t := c.Str(), c.Str()
			if i == 0 {
				ks, table = k, t
			}
		}
		c.ShortBytes() // column name
		c.SkipOption()
	}
	return ks, table
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
	c := frame.Cursor{B: body}
	if headerFlags&HeaderFlagTracing != 0 {
		c.Skip(16)
	}
	if headerFlags&HeaderFlagWarning != 0 {
		n := int(c.Short())
		for i := 0; i < n && c.Err == nil; i++ {
			c.ShortBytes()
		}
	}
	if headerFlags&HeaderFlagCustomPayload != 0 {
		c.SkipBytesMap()
	}
	if c.Err != nil {
		return nil, fmt.Errorf("response envelope: %w", c.Err)
	}
	return c.B, nil
}
