package nowfunc

import (
	"fmt"

	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

const (
	resultKindPrepared   = 0x0004
	flagGlobalTablesSpec = 0x0001
)

// StripVariables returns a copy of a PREPARED RESULT body (from its [int]
// kind, protocol v3 to v5) without the bind variables at positions, so the
// client sees the variables of the statement it wrote. pk_indexes are
// renumbered; if one pointed at a removed variable (now() in the partition
// key) they are all dropped, as no routing key can be built any more. It
// also returns the removed variables' names, for clients that bind
// positional statements by name (set them as Prepared.Names).
func StripVariables(body []byte, v primitive.ProtocolVersion, positions []int) (out []byte, removed []string, err error) {
	if len(positions) == 0 {
		return body, nil, nil
	}
	r := frame.Cursor{B: body}
	if kind := r.Int(); r.Err == nil && kind != resultKindPrepared {
		return nil, nil, fmt.Errorf("PREPARED: result kind %d is not PREPARED", kind)
	}
	r.ShortBytes() // id
	if v.SupportsResultMetadataId() {
		r.ShortBytes()
	}
	head := r.Pos(body)
	flags := r.Int()
	count := int(r.Int())
	if r.Err == nil && count < 0 {
		return nil, nil, fmt.Errorf("PREPARED: negative variable count %d", count)
	}
	if err := checkPositions(positions, count); err != nil {
		return nil, nil, fmt.Errorf("PREPARED: %w", err)
	}
	var pks []int
	if v >= primitive.ProtocolVersion4 {
		n := int(r.Int())
		for i := 0; i < n && r.Err == nil; i++ {
			pks = append(pks, int(r.Short()))
		}
	}
	global := flags&flagGlobalTablesSpec != 0
	var globalSpec []byte
	if global {
		start := r.Pos(body)
		r.ShortBytes()
		r.ShortBytes()
		globalSpec = body[start:r.Pos(body)]
	}
	// A column spec takes at least 4 bytes (name and type id): reject
	// impossible counts before allocating for them.
	if r.Err != nil {
		return nil, nil, fmt.Errorf("PREPARED metadata: %w", r.Err)
	}
	if count*4 > len(body)-r.Pos(body) {
		return nil, nil, fmt.Errorf("PREPARED: %d variables cannot fit in %d bytes", count, len(body)-r.Pos(body))
	}
	type span struct{ start, end int }
	specs := make([]span, count)
	names := make([]string, count)
	for i := 0; i < count && r.Err == nil; i++ {
		start := r.Pos(body)
		if !global {
			r.ShortBytes()
			r.ShortBytes()
		}
		names[i] = string(r.ShortBytes())
		r.SkipOption()
		specs[i] = span{start, r.Pos(body)}
	}
	if r.Err != nil {
		return nil, nil, fmt.Errorf("PREPARED metadata: %w", r.Err)
	}

	isRemoved := make([]bool, count)
	for _, p := range positions {
		isRemoved[p] = true
		removed = append(removed, names[p])
	}
	newCount := count - len(positions)
	var newPks []int
	for _, pk := range pks {
		if pk >= count || isRemoved[pk] {
			newPks = nil
			break
		}
		below := 0
		for _, p := range positions {
			if p < pk {
				below++
			}
		}
		newPks = append(newPks, pk-below)
	}
	if len(newPks) != len(pks) {
		newPks = nil
	}
	if newCount == 0 {
		flags &^= flagGlobalTablesSpec
		globalSpec = nil
	}

	out = make([]byte, 0, len(body))
	out = append(out, body[:head]...)
	out = appendI32(out, int(flags))
	out = appendI32(out, newCount)
	if v >= primitive.ProtocolVersion4 {
		out = appendI32(out, len(newPks))
		for _, pk := range newPks {
			out = appendU16(out, pk)
		}
	}
	out = append(out, globalSpec...)
	for i, s := range specs {
		if !isRemoved[i] {
			out = append(out, body[s.start:s.end]...)
		}
	}
	return append(out, body[r.Pos(body):]...), removed, nil
}
