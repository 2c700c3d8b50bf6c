package mutation

import "strings"

// token is one CQL token: kind 'i' identifier or keyword (lower-cased), 'q'
// double-quoted identifier (case kept), 's' string literal, 'n' number, 'p'
// punctuation (text is the character), '?' bind marker.
type token struct {
	kind byte
	text string
}

// tokens splits a CQL statement, skipping comments; it never fails (text it
// does not understand becomes punctuation).
func tokens(q string) []token {
	var out []token
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '-' && i+1 < len(q) && q[i+1] == '-', c == '/' && i+1 < len(q) && q[i+1] == '/':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return out
			}
			i += end + 4
		case c == '\'':
			j := i + 1
			for j < len(q) {
				if q[j] == '\'' {
					if j+1 < len(q) && q[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			out = append(out, token{'s', q[min(i+1, len(q)):min(j, len(q))]})
			i = j + 1
		case c == '$' && i+1 < len(q) && q[i+1] == '$':
			end := strings.Index(q[i+2:], "$$")
			if end < 0 {
				return append(out, token{'s', q[i+2:]})
			}
			out = append(out, token{'s', q[i+2 : i+2+end]})
			i += end + 4
		case c == '"':
			j := i + 1
			var b strings.Builder
			for j < len(q) {
				if q[j] == '"' {
					if j+1 < len(q) && q[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(q[j])
				j++
			}
			out = append(out, token{'q', b.String()})
			i = j + 1
		case isIdentStart(c):
			j := i
			for j < len(q) && (isIdentStart(q[j]) || q[j] >= '0' && q[j] <= '9') {
				j++
			}
			out = append(out, token{'i', strings.ToLower(q[i:j])})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(q) && (q[j] >= '0' && q[j] <= '9' || q[j] == '.' || q[j] == 'e' || q[j] == 'E') {
				j++
			}
			out = append(out, token{'n', q[i:j]})
			i = j
		case c == '?':
			out = append(out, token{'?', "?"})
			i++
		default:
			out = append(out, token{'p', string(c)})
			i++
		}
	}
	return out
}

func isIdentStart(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' || c == '_' }

func (t token) is(word string) bool { return t.kind == 'i' && t.text == word }
func (t token) punct(c string) bool { return t.kind == 'p' && t.text == c }
func (t token) ident() bool         { return t.kind == 'i' || t.kind == 'q' }

// Target returns the keyspace (empty when unqualified) and table a write
// names: INSERT INTO, UPDATE, DELETE ... FROM, or the first statement of a
// BEGIN ... BATCH. Empty strings when it cannot tell.
func Target(q string) (keyspace, table string) {
	return target(tokens(q))
}

func target(ts []token) (string, string) {
	if len(ts) == 0 {
		return "", ""
	}
	switch {
	case ts[0].is("insert"):
		if len(ts) > 1 && ts[1].is("into") {
			return name(ts[2:])
		}
	case ts[0].is("update"):
		return name(ts[1:])
	case ts[0].is("delete"):
		for i := 1; i < len(ts); i++ {
			if ts[i].is("from") {
				return name(ts[i+1:])
			}
		}
	case ts[0].is("begin"):
		for i := 1; i < len(ts); i++ {
			if ts[i].is("batch") {
				rest := ts[i+1:]
				if len(rest) > 2 && rest[0].is("using") && rest[1].is("timestamp") {
					rest = rest[3:]
				}
				return target(rest)
			}
		}
	}
	return "", ""
}

func name(ts []token) (string, string) {
	if len(ts) == 0 || !ts[0].ident() {
		return "", ""
	}
	if len(ts) > 2 && ts[1].punct(".") && ts[2].ident() {
		return ts[0].text, ts[2].text
	}
	return "", ts[0].text
}

// nonDeterministic are the CQL functions whose value a replay would not
// reproduce (now() is rewritten away by replace_cql_functions).
var nonDeterministic = map[string]bool{
	"now": true, "uuid": true, "currenttimestamp": true, "currentdate": true, "currenttime": true,
	"currenttimeuuid": true, "current_timestamp": true, "current_date": true, "current_time": true,
	"current_timeuuid": true,
}

// Unsafe says why replaying q could store something other than the original
// write did ("" when a replay with the original timestamp is idempotent):
// a lightweight transaction (IF), a counter or collection update relative to
// the current value (c = c + ..., c = ... - c), or a non-deterministic
// function call.
func Unsafe(q string) string {
	ts := tokens(q)
	inSet := false
	for i, t := range ts {
		switch {
		case t.is("if"):
			return "lwt"
		case t.kind == 'i' && i+1 < len(ts) && ts[i+1].punct("(") && nonDeterministic[t.text]:
			return "non-deterministic function " + t.text + "()"
		case t.is("set"):
			inSet = true
		case t.is("where") || t.is("apply") || t.is("insert") || t.is("delete") || t.is("update"):
			inSet = false
		case inSet && t.punct("=") && i > 0 && ts[i-1].ident() && relative(ts[i-1], ts[i+1:]):
			return "counter or collection update relative to the current value"
		}
	}
	return ""
}

// relative reports whether the expression after "col =" (up to the next
// top-level comma or keyword) mentions col: c = c + ?, l = [1] + l.
func relative(col token, ts []token) bool {
	depth := 0
	for _, t := range ts {
		switch {
		case t.punct("(") || t.punct("[") || t.punct("{"):
			depth++
		case t.punct(")") || t.punct("]") || t.punct("}"):
			depth--
		case depth == 0 && (t.punct(",") || t.is("where") || t.is("if")):
			return false
		case depth == 0 && t == col:
			return true
		}
	}
	return false
}
