// Package classify finds what the proxy needs for routing in a CQL statement:
// its kind (first keyword) and, for SELECT, the keyspace and table read. It
// looks at as little of the query string as possible and never fails: text it
// does not understand is KindOther, which the router sends to both clusters.
package classify

// Kind is the statement's routing class.
type Kind uint8

// Statement kinds.
const (
	KindOther Kind = iota // DDL, GRANT, TRUNCATE ... (routed like a write)
	KindSelect
	KindInsert
	KindUpdate
	KindDelete
	KindBatch
	KindUse
)

func (k Kind) String() string {
	switch k {
	case KindSelect:
		return "SELECT"
	case KindInsert:
		return "INSERT"
	case KindUpdate:
		return "UPDATE"
	case KindDelete:
		return "DELETE"
	case KindBatch:
		return "BATCH"
	case KindUse:
		return "USE"
	}
	return "OTHER"
}

// IsRead reports whether the statement is a read (goes to the primary only).
func (k Kind) IsRead() bool { return k == KindSelect }

// Statement is the routing view of one CQL statement.
type Statement struct {
	Kind Kind
	// Keyspace is the explicit keyspace of a SELECT's table, or the keyspace of
	// a USE; empty when unqualified.
	Keyspace string
	// Table is the table a SELECT reads.
	Table string
}

// Query classifies a CQL query string.
func Query(q []byte) Statement {
	s := scanner{b: q}
	kw := s.word()
	switch {
	case eqFold(kw, "select"):
		st := Statement{Kind: KindSelect}
		if s.skipTo("from") {
			st.Keyspace, st.Table = s.qualifiedName()
		}
		return st
	case eqFold(kw, "insert"):
		return Statement{Kind: KindInsert}
	case eqFold(kw, "update"):
		return Statement{Kind: KindUpdate}
	case eqFold(kw, "delete"):
		return Statement{Kind: KindDelete}
	case eqFold(kw, "begin"), eqFold(kw, "apply"):
		return Statement{Kind: KindBatch}
	case eqFold(kw, "use"):
		ks, _ := s.identifier()
		return Statement{Kind: KindUse, Keyspace: ks}
	}
	return Statement{Kind: KindOther}
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) skipSpace() {
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			s.i++
		case c == '-' && s.peek(1) == '-', c == '/' && s.peek(1) == '/':
			for s.i < len(s.b) && s.b[s.i] != '\n' {
				s.i++
			}
		case c == '/' && s.peek(1) == '*':
			s.skipPast('*', '/')
		default:
			return
		}
	}
}

// skipPast skips a two-byte opener at s.i and everything up to and including
// the two-byte closer a, b (a block comment, a $$ string); an unclosed one
// runs to the end.
func (s *scanner) skipPast(a, b byte) {
	s.i += 2
	for s.i < len(s.b) && !(s.b[s.i] == a && s.peek(1) == b) {
		s.i++
	}
	s.i += 2
	if s.i > len(s.b) {
		s.i = len(s.b)
	}
}

func (s *scanner) peek(off int) byte {
	if s.i+off < len(s.b) {
		return s.b[s.i+off]
	}
	return 0
}

func isWordByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// word returns the next bare word (letters, digits, _) after whitespace.
func (s *scanner) word() []byte {
	s.skipSpace()
	start := s.i
	for s.i < len(s.b) && isWordByte(s.b[s.i]) {
		s.i++
	}
	return s.b[start:s.i]
}

// skipTo advances past the next top-level bare word equal to kw, skipping
// string literals, quoted identifiers and comments.
func (s *scanner) skipTo(kw string) bool {
	for {
		s.skipSpace()
		if s.i >= len(s.b) {
			return false
		}
		c := s.b[s.i]
		switch {
		case c == '\'' || c == '"':
			s.skipQuoted(c)
		case c == '$' && s.peek(1) == '$':
			s.skipPast('$', '$')
		case isWordByte(c):
			if w := s.word(); eqFold(w, kw) {
				return true
			}
		default:
			s.i++
		}
	}
}

func (s *scanner) skipQuoted(q byte) {
	s.i++
	for s.i < len(s.b) {
		if s.b[s.i] == q {
			if s.peek(1) == q { // doubled quote escapes itself
				s.i += 2
				continue
			}
			s.i++
			return
		}
		s.i++
	}
}

// identifier reads an unquoted (lower-cased) or quoted (verbatim) name.
func (s *scanner) identifier() (string, bool) {
	s.skipSpace()
	if s.i >= len(s.b) {
		return "", false
	}
	if s.b[s.i] == '"' {
		s.i++
		var out []byte
		for s.i < len(s.b) {
			c := s.b[s.i]
			if c == '"' {
				if s.peek(1) == '"' {
					out = append(out, '"')
					s.i += 2
					continue
				}
				s.i++
				return string(out), true
			}
			out = append(out, c)
			s.i++
		}
		return string(out), true
	}
	w := s.word()
	if len(w) == 0 {
		return "", false
	}
	return lower(w), true
}

// qualifiedName reads [keyspace.]table.
func (s *scanner) qualifiedName() (ks, table string) {
	first, ok := s.identifier()
	if !ok {
		return "", ""
	}
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		second, _ := s.identifier()
		return first, second
	}
	return "", first
}

func eqFold(w []byte, lowerKW string) bool {
	if len(w) != len(lowerKW) {
		return false
	}
	for i := range w {
		c := w[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lowerKW[i] {
			return false
		}
	}
	return true
}

func lower(w []byte) string {
	for _, c := range w {
		if c >= 'A' && c <= 'Z' {
			b := make([]byte, len(w))
			for i, c := range w {
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				b[i] = c
			}
			return string(b)
		}
	}
	return string(w)
}

// SelectColumns returns the selected column names of a simple SELECT
// ("*" gives star=true). ok is false for anything but plain column names
// (functions, aliases, JSON ...).
func SelectColumns(q []byte) (cols []string, star bool, ok bool) {
	s := scanner{b: q}
	if !eqFold(s.word(), "select") {
		return nil, false, false
	}
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == '*' {
		return nil, true, true
	}
	for {
		name, ok := s.identifier()
		if !ok || eqFold([]byte(name), "distinct") || eqFold([]byte(name), "json") {
			return nil, false, false
		}
		cols = append(cols, name)
		s.skipSpace()
		if s.i >= len(s.b) {
			return nil, false, false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			continue
		}
		if w := s.word(); eqFold(w, "from") {
			return cols, false, true
		}
		return nil, false, false
	}
}
