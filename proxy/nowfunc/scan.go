package nowfunc

// call is one now() found in a statement.
type call struct {
	start, end int  // span to replace, including a "system." qualifier
	inFuncArgs bool // argument of another function call: toTimestamp(now())
	marker     int  // index, among the statement's bind markers, it would take
}

// scan is what one pass over a statement finds.
type scan struct {
	modification bool // INSERT, UPDATE, DELETE or BEGIN ... BATCH
	found        bool // onlyDetect: a call was found
	calls        []call
	positional   int // ? markers
	named        int // :name markers
}

// maxDepth bounds the parenthesis stack tracked for inFuncArgs.
const maxDepth = 64

// scanQuery finds now() calls and bind markers. With onlyDetect it stops
// at the first call (and allocates nothing).
func scanQuery(q string, onlyDetect bool) scan {
	var sc scan
	l := lexer{s: q}
	first := l.next()
	if !(l.isWord(first, "insert") || l.isWord(first, "update") ||
		l.isWord(first, "delete") || l.isWord(first, "begin")) {
		return sc
	}
	sc.modification = true
	var (
		prev, prev2 = token{kind: tEOF}, token{kind: tEOF}
		inTerms     bool // past VALUES, SET, WHERE, IF or USING
		stack       [maxDepth]bool
		depth       int
	)
	prev = first
	for {
		t := l.next()
		switch t.kind {
		case tEOF:
			return sc
		case tQMark:
			sc.positional++
		case tNamed:
			sc.named++
		case tIdent:
			if depth == 0 && (l.isWord(t, "values") || l.isWord(t, "set") || l.isWord(t, "where") ||
				l.isWord(t, "if") || l.isWord(t, "using")) {
				inTerms = true
			}
			if l.isWord(t, "now") || l.isWord(t, "currenttimeuuid") {
				if c, ok := l.nowCall(t, prev, prev2); ok {
					if onlyDetect {
						sc.found = true
						return sc
					}
					c.inFuncArgs = depth > 0 && stack[min(depth, maxDepth)-1]
					c.marker = sc.positional + sc.named + len(sc.calls)
					sc.calls = append(sc.calls, c)
					prev2, prev = prev, token{kind: tPunct, start: c.end - 1, end: c.end}
					continue
				}
			}
		case tPunct:
			switch q[t.start] {
			case '(':
				if depth < maxDepth {
					stack[depth] = inTerms && prev.kind == tIdent && !l.isWord(prev, "values")
				}
				depth++
			case ')':
				if depth > 0 {
					depth--
				}
			case ';':
				depth, inTerms = 0, false
			}
		}
		if t.kind == tIdent && (l.isWord(t, "insert") || l.isWord(t, "update") || l.isWord(t, "delete")) && depth == 0 {
			inTerms = false // next statement of a batch
		}
		prev2, prev = prev, t
	}
}

// nowCall checks that the identifier t is followed by "(" ")" and, when
// qualified, that the keyspace is system; it consumes the parentheses.
func (l *lexer) nowCall(t, prev, prev2 token) (call, bool) {
	save := l.pos
	open := l.next()
	if !l.isPunct(open, '(') {
		l.pos = save
		return call{}, false
	}
	closing := l.next()
	if !l.isPunct(closing, ')') {
		l.pos = save
		return call{}, false
	}
	c := call{start: t.start, end: closing.end}
	if l.isPunct(prev, '.') {
		// ks.now(): only the built-in one, system.now().
		if !(l.isWord(prev2, "system") || (prev2.kind == tQIdent && l.text(prev2) == `"system"`)) {
			l.pos = save
			return call{}, false
		}
		c.start = prev2.start
	}
	return c, true
}
