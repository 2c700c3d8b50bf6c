package nowfunc

import (
	"errors"
	"fmt"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// InsertValues rewrites a positional values list ([short n][value]*n, as
// in EXECUTE and in each BATCH child), which starts values and may be
// followed by other bytes: it appends to dst the list with the timeuuid u
// inserted at each of positions (ascending indexes in the new list) and
// returns it with the number of bytes of values the old list took.
func InsertValues(dst, values []byte, positions []int, u UUID) (out []byte, consumed int, err error) {
	r := frame.Cursor{B: values}
	n := int(r.Short())
	if r.Err != nil {
		return dst, 0, fmt.Errorf("values count: %w", r.Err)
	}
	total := n + len(positions)
	if total > 0xffff {
		return dst, 0, fmt.Errorf("%d values do not fit a [short] count", total)
	}
	if err := checkPositions(positions, total); err != nil {
		return dst, 0, err
	}
	out = appendU16(dst, total)
	j := 0
	for i := 0; i < total; i++ {
		if j < len(positions) && positions[j] == i {
			out = appendUUIDValue(out, u)
			j++
			continue
		}
		start := r.Pos(values)
		r.Bytes()
		if r.Err != nil {
			return dst, 0, fmt.Errorf("value %d of %d: %w", i-j, n, r.Err)
		}
		out = append(out, values[start:r.Pos(values)]...)
	}
	return out, r.Pos(values), nil
}

// InsertNamedValues rewrites a named values list ([short n]([string name]
// [value])*n, EXECUTE with the "names for values" flag): it appends to dst
// the list with one (name, u) pair added per name, and returns it with the
// number of bytes the old list took.
func InsertNamedValues(dst, values []byte, names []string, u UUID) (out []byte, consumed int, err error) {
	r := frame.Cursor{B: values}
	n := int(r.Short())
	for i := 0; i < n && r.Err == nil; i++ {
		r.ShortBytes()
		r.Bytes()
	}
	if r.Err != nil {
		return dst, 0, fmt.Errorf("named values: %w", r.Err)
	}
	if n+len(names) > 0xffff {
		return dst, 0, fmt.Errorf("%d values do not fit a [short] count", n+len(names))
	}
	out = appendU16(dst, n+len(names))
	out = append(out, values[2:r.Pos(values)]...)
	for _, name := range names {
		out = appendU16(out, len(name))
		out = append(out, name...)
		out = appendUUIDValue(out, u)
	}
	return out, r.Pos(values), nil
}

func checkPositions(positions []int, total int) error {
	for i, p := range positions {
		if p < 0 || p >= total || (i > 0 && p <= positions[i-1]) {
			return fmt.Errorf("now() positions %v invalid for %d values", positions, total)
		}
	}
	return nil
}

var errNoNames = errors.New("client sent named values but the names of the now() variables are unknown")
