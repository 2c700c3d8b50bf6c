package frame

import (
	"errors"
	"fmt"
)

// Pos is how far c has read into body, the slice it started on:
// body[:c.Pos(body)] is what was read (all of body after an error).
func (c *Cursor) Pos(body []byte) int { return len(body) - len(c.B) }

// MaxTypeDepth bounds the nesting of a type [option] (collections of UDTs
// of tuples...) SkipOption follows.
const MaxTypeDepth = 32

// ErrTypeTooDeep is set by SkipOption past MaxTypeDepth.
var ErrTypeTooDeep = errors.New("type nesting too deep")

// SkipOption skips a type [option]: an id, then for custom types the class
// name, for list, set and map their element types, for UDTs keyspace, name
// and fields, for tuples their element types.
func (c *Cursor) SkipOption() { c.skipOption(0) }

func (c *Cursor) skipOption(depth int) {
	if depth > MaxTypeDepth {
		if c.Err == nil {
			c.Err, c.B = ErrTypeTooDeep, nil
		}
		return
	}
	id := c.Short()
	if c.Err != nil {
		return
	}
	switch {
	case id == 0x0000: // custom: [string] class name
		c.ShortBytes()
	case id <= 0x0015: // native types
	case id == 0x0020 || id == 0x0022: // list, set
		c.skipOption(depth + 1)
	case id == 0x0021: // map
		c.skipOption(depth + 1)
		c.skipOption(depth + 1)
	case id == 0x0030: // udt: keyspace, name, n, n*(field name, type)
		c.ShortBytes()
		c.ShortBytes()
		n := int(c.Short())
		for i := 0; i < n && c.Err == nil; i++ {
			c.ShortBytes()
			c.skipOption(depth + 1)
		}
	case id == 0x0031: // tuple: n, n*type
		n := int(c.Short())
		for i := 0; i < n && c.Err == nil; i++ {
			c.skipOption(depth + 1)
		}
	default:
		c.Err, c.B = fmt.Errorf("unknown type id 0x%04x", id), nil
	}
}
