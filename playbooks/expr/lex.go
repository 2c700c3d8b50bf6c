// Package expr is the small expression language of `when`, `until`,
// `changed_when` and `failed_when`: comparisons (== != < > <= >=), and, or,
// not, in, `is defined` / `is undefined`, parentheses, string / number / bool
// literals, list literals and dotted access (result.rc).
package expr

import (
	"fmt"
	"strings"
	"unicode"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tOp // == != < > <= >= ( ) [ ] , .
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := rune(src[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '\'' || c == '"':
			q := src[i]
			j := i + 1
			var sb strings.Builder
			for j < len(src) && src[j] != q {
				if src[j] == '\\' && j+1 < len(src) {
					j++
				}
				sb.WriteByte(src[j])
				j++
			}
			if j >= len(src) {
				return nil, fmt.Errorf("unterminated string at column %d", i+1)
			}
			toks = append(toks, token{tString, sb.String(), i})
			i = j + 1
		case c >= '0' && c <= '9' || (c == '-' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9' && prevAllowsSign(toks)):
			// After a '.', a number is a path element (list.0.name): no
			// decimal point then.
			afterDot := len(toks) > 0 && toks[len(toks)-1].kind == tOp && toks[len(toks)-1].text == "."
			j := i + 1
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || !afterDot && src[j] == '.' && j+1 < len(src) && src[j+1] >= '0' && src[j+1] <= '9') {
				j++
			}
			toks = append(toks, token{tNumber, src[i:j], i})
			i = j
		case c == '_' || unicode.IsLetter(c):
			j := i
			for j < len(src) && isIdentByte(src[j]) {
				j++
			}
			toks = append(toks, token{tIdent, src[i:j], i})
			i = j
		default:
			two := ""
			if i+1 < len(src) {
				two = src[i : i+2]
			}
			switch two {
			case "==", "!=", "<=", ">=", "&&", "||":
				toks = append(toks, token{tOp, two, i})
				i += 2
				continue
			}
			switch c {
			case '<', '>', '(', ')', '[', ']', ',', '.', '!':
				toks = append(toks, token{tOp, string(c), i})
				i++
			default:
				return nil, fmt.Errorf("unexpected %q at column %d", c, i+1)
			}
		}
	}
	return append(toks, token{tEOF, "", len(src)}), nil
}

func isIdentByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// prevAllowsSign: a '-' starts a negative number only where an operand is
// expected (start, after an operator or keyword).
func prevAllowsSign(toks []token) bool {
	if len(toks) == 0 {
		return true
	}
	p := toks[len(toks)-1]
	switch p.kind {
	case tOp:
		return p.text != ")" && p.text != "]"
	case tIdent:
		switch p.text {
		case "and", "or", "not", "in":
			return true
		}
	}
	return false
}
