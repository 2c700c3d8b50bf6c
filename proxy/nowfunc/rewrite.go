package nowfunc

import (
	"strconv"
	"strings"
)

// Contains reports whether query is an INSERT, UPDATE, DELETE or BATCH
// calling now() (or currentTimeUUID()) outside string literals, comments
// and quoted identifiers. Case and whitespace inside the parentheses do not
// matter. It does not allocate.
func Contains(query string) bool {
	if !containsFold(query, "now") && !containsFold(query, "currenttimeuuid") {
		return false
	}
	return scanQuery(query, true).found
}

// RewriteLiteral replaces every now() of query with the timeuuid u as a
// CQL constant and returns the new text and the number of calls replaced
// (query itself when 0). All calls of one statement get the same value; for
// a BATCH message call it once per child.
func RewriteLiteral(query string, u UUID) (string, int) {
	if !containsFold(query, "now") && !containsFold(query, "currenttimeuuid") {
		return query, 0
	}
	sc := scanQuery(query, false)
	if len(sc.calls) == 0 {
		return query, 0
	}
	lit := u.String()
	var b strings.Builder
	b.Grow(len(query) + len(sc.calls)*len(lit))
	last := 0
	for _, c := range sc.calls {
		b.WriteString(query[last:c.start])
		b.WriteString(lit)
		last = c.end
	}
	b.WriteString(query[last:])
	return b.String(), len(sc.calls)
}

// Prepared is a statement rewritten for PREPARE: each now() became a bind
// marker the proxy fills at EXECUTE time.
type Prepared struct {
	// Query is the text to prepare on both clusters.
	Query string
	// Positions are the indexes, among the rewritten statement's bind
	// variables, of the added markers, ascending.
	Positions []int
	// Named is set when the statement uses named markers; Names are then
	// the added markers' names (zdm_now_0, ...), parallel to Positions.
	Named bool
	Names []string
}

// RewriteForPrepare rewrites each now() into a bind marker: "?" when the
// statement uses positional markers (or none), ":zdm_now_N" when it uses
// named ones. Arguments of other functions get a cast, (timeuuid)?, as
// overloads like toTimestamp would be ambiguous. ok is false when there is
// nothing to rewrite, or markers are mixed (which Cassandra refuses anyway).
func RewriteForPrepare(query string) (p Prepared, ok bool) {
	if !containsFold(query, "now") && !containsFold(query, "currenttimeuuid") {
		return Prepared{}, false
	}
	sc := scanQuery(query, false)
	if len(sc.calls) == 0 || (sc.named > 0 && sc.positional > 0) {
		return Prepared{}, false
	}
	p.Named = sc.named > 0
	var b strings.Builder
	b.Grow(len(query) + len(sc.calls)*24)
	last := 0
	for i, c := range sc.calls {
		b.WriteString(query[last:c.start])
		if c.inFuncArgs {
			b.WriteString("(timeuuid)")
		}
		if p.Named {
			name := "zdm_now_" + strconv.Itoa(i)
			b.WriteString(":" + name)
			p.Names = append(p.Names, name)
		} else {
			b.WriteByte('?')
		}
		p.Positions = append(p.Positions, c.marker)
		last = c.end
	}
	b.WriteString(query[last:])
	p.Query = b.String()
	return p, true
}
