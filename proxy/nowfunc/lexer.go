package nowfunc

// tokKind classifies CQL tokens, just enough to find function calls and bind
// markers outside literals and comments.
type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // unquoted identifier or keyword
	tQIdent         // "quoted identifier"
	tString         // 'string' or $$string$$
	tNumber         // numbers, blobs, the digit-led parts of uuids
	tPunct          // any other single character
	tQMark          // ? positional bind marker
	tNamed          // :name named bind marker
)

type token struct {
	kind       tokKind
	start, end int // byte span in the query
}

type lexer struct {
	s   string
	pos int
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isIdent(c byte) bool  { return isLetter(c) || isDigit(c) || c == '_' }
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// skip passes whitespace and comments (--, //, /* */).
func (l *lexer) skip() {
	s := l.s
	for l.pos < len(s) {
		c := s[l.pos]
		switch {
		case isSpace(c):
			l.pos++
		case (c == '-' || c == '/') && l.pos+1 < len(s) && s[l.pos+1] == c:
			for l.pos < len(s) && s[l.pos] != '\n' {
				l.pos++
			}
		case c == '/' && l.pos+1 < len(s) && s[l.pos+1] == '*':
			l.pos += 2
			for l.pos < len(s) && !(s[l.pos] == '*' && l.pos+1 < len(s) && s[l.pos+1] == '/') {
				l.pos++
			}
			l.pos = min(l.pos+2, len(s))
		default:
			return
		}
	}
}

// quoted passes a literal closed by q where qq escapes q; unterminated
// literals run to the end.
func (l *lexer) quoted(q byte) {
	l.pos++
	for l.pos < len(l.s) {
		if l.s[l.pos] == q {
			if l.pos+1 < len(l.s) && l.s[l.pos+1] == q {
				l.pos += 2
				continue
			}
			l.pos++
			return
		}
		l.pos++
	}
}

func (l *lexer) ident() {
	for l.pos < len(l.s) && isIdent(l.s[l.pos]) {
		l.pos++
	}
}

// next returns the next significant token.
func (l *lexer) next() token {
	l.skip()
	s := l.s
	start := l.pos
	if start >= len(s) {
		return token{kind: tEOF, start: start, end: start}
	}
	c := s[start]
	kind := tPunct
	switch {
	case c == '\'':
		l.quoted('\'')
		kind = tString
	case c == '$' && start+1 < len(s) && s[start+1] == '$':
		l.pos += 2
		for l.pos < len(s) && !(s[l.pos] == '$' && l.pos+1 < len(s) && s[l.pos+1] == '$') {
			l.pos++
		}
		l.pos = min(l.pos+2, len(s))
		kind = tString
	case c == '"':
		l.quoted('"')
		kind = tQIdent
	case isLetter(c):
		l.ident()
		kind = tIdent
	case isDigit(c):
		for l.pos < len(s) && (isIdent(s[l.pos]) || s[l.pos] == '.') {
			l.pos++
		}
		kind = tNumber
	case c == '?':
		l.pos++
		kind = tQMark
	case c == ':' && start+1 < len(s) && (isLetter(s[start+1]) || s[start+1] == '"'):
		// :name is a named marker unless it is ":fn(" in a UDT/map literal.
		save := l.pos
		l.pos++
		if s[l.pos] == '"' {
			l.quoted('"')
		} else {
			l.ident()
		}
		end := l.pos
		l.skip()
		if l.pos < len(s) && s[l.pos] == '(' {
			l.pos = save + 1
			return token{kind: tPunct, start: start, end: start + 1}
		}
		l.pos = end
		kind = tNamed
	default:
		l.pos++
	}
	return token{kind: kind, start: start, end: l.pos}
}

// text of a token.
func (l *lexer) text(t token) string { return l.s[t.start:t.end] }

// isWord reports whether t is the unquoted identifier w (ASCII, any case).
func (l *lexer) isWord(t token, w string) bool {
	return t.kind == tIdent && equalFold(l.s[t.start:t.end], w)
}

func (l *lexer) isPunct(t token, c byte) bool {
	return t.kind == tPunct && l.s[t.start] == c
}

// equalFold compares ASCII case-insensitively; w must be lower case.
func equalFold(s, w string) bool {
	if len(s) != len(w) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i]|0x20 != w[i] {
			return false
		}
	}
	return true
}

// containsFold reports whether s contains w (lower case) in any case.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i]|0x20 == w[0] && equalFold(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}
