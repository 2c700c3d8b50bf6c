package nowfunc

import (
	"errors"
	"fmt"
)

// InsertValues rewrites a positional values list ([short n][value]*n, as
// in EXECUTE and in each BATCH child), which starts values and may be
// followed by other bytes: it appends to dst the list with the timeuuid u
// inserted at each of positions (ascending indexes in the new list) and
// returns it with the number of bytes of values the old list took.
func InsertValues(dst, values []byte, positions []int, u UUID) (out []byte, consumed int, err error) {
	r := reader{b: values}
	n := int(r.u16())
	if r.err != nil {
		return dst, 0, fmt.Errorf("values count: %w", r.err)
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
		start := r.off
		r.value()
		if r.err != nil {
			return dst, 0, fmt.Errorf("value %d of %d: %w", i-j, n, r.err)
		}
		out = append(out, values[start:r.off]...)
	}
	return out, r.off, nil
}

// InsertNamedValues rewrites a named values list ([short n]([string name]
// [value])*n, EXECUTE with the "names for values" flag): it appends to dst
// the list with one (name, u) pair added per name, and returns it with the
// number of bytes the old list took.
func InsertNamedValues(dst, values []byte, names []string, u UUID) (out []byte, consumed int, err error) {
	r := reader{b: values}
	n := int(r.u16())
	for i := 0; i < n && r.err == nil; i++ {
		r.shortBytes()
		r.value()
	}
	if r.err != nil {
		return dst, 0, fmt.Errorf("named values: %w", r.err)
	}
	if n+len(names) > 0xffff {
		return dst, 0, fmt.Errorf("%d values do not fit a [short] count", n+len(names))
	}
	out = appendU16(dst, n+len(names))
	out = append(out, values[2:r.off]...)
	for _, name := range names {
		out = appendU16(out, len(name))
		out = append(out, name...)
		out = appendUUIDValue(out, u)
	}
	return out, r.off, nil
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
