package expr

import (
	"fmt"
	"strconv"
	"strings"
)

// Expr is a parsed expression, ready to evaluate against many var sets.
type Expr struct {
	src  string
	root node
}

// String returns the source text.
func (e *Expr) String() string { return e.src }

// Parse parses src. Errors say what was expected and where.
func Parse(src string) (*Expr, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", src, err)
	}
	p := &parser{toks: toks}
	n, err := p.parseOr()
	if err == nil && p.peek().kind != tEOF {
		err = fmt.Errorf("unexpected %q at column %d", p.peek().text, p.peek().pos+1)
	}
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", src, err)
	}
	return &Expr{src: src, root: n}, nil
}

// MustParse is Parse that panics; for tests and constants.
func MustParse(src string) *Expr {
	e, err := Parse(src)
	if err != nil {
		panic(err)
	}
	return e
}

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tIdent && t.text == w
}

func (p *parser) isOp(o string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == o
}

func (p *parser) parseOr() (node, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") || p.isOp("||") {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &logicNode{and: false, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseAnd() (node, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") || p.isOp("&&") {
		p.next()
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = &logicNode{and: true, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseNot() (node, error) {
	if p.isWord("not") || p.isOp("!") {
		p.next()
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &notNode{x: x}, nil
	}
	return p.parseCmp()
}

func (p *parser) parseCmp() (node, error) {
	l, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case t.kind == tOp && (t.text == "==" || t.text == "!=" || t.text == "<" || t.text == ">" || t.text == "<=" || t.text == ">="):
		p.next()
		r, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		return &cmpNode{op: t.text, l: l, r: r}, nil
	case p.isWord("in"):
		p.next()
		r, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		return &inNode{l: l, r: r}, nil
	case p.isWord("not") && p.i+1 < len(p.toks) && p.toks[p.i+1].kind == tIdent && p.toks[p.i+1].text == "in":
		p.next()
		p.next()
		r, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		return &notNode{x: &inNode{l: l, r: r}}, nil
	case p.isWord("is"):
		p.next()
		neg := false
		if p.isWord("not") {
			p.next()
			neg = true
		}
		w := p.next()
		if w.kind != tIdent || (w.text != "defined" && w.text != "undefined") {
			return nil, fmt.Errorf("expected defined or undefined after 'is' at column %d", w.pos+1)
		}
		ref, ok := l.(*refNode)
		if !ok {
			return nil, fmt.Errorf("'is %s' needs a variable at column %d", w.text, w.pos+1)
		}
		if w.text == "undefined" {
			neg = !neg
		}
		return &definedNode{ref: ref, neg: neg}, nil
	}
	return l, nil
}

func (p *parser) parsePrimary() (node, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return &litNode{v: t.text}, nil
	case tNumber:
		if strings.Contains(t.text, ".") {
			f, err := strconv.ParseFloat(t.text, 64)
			if err != nil {
				return nil, fmt.Errorf("bad number %q at column %d", t.text, t.pos+1)
			}
			return &litNode{v: f}, nil
		}
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q at column %d", t.text, t.pos+1)
		}
		return &litNode{v: n}, nil
	case tOp:
		switch t.text {
		case "(":
			x, err := p.parseOr()
			if err != nil {
				return nil, err
			}
			if !p.isOp(")") {
				return nil, fmt.Errorf("expected ) at column %d", p.peek().pos+1)
			}
			p.next()
			return x, nil
		case "[":
			var elems []node
			for !p.isOp("]") {
				e, err := p.parseOr()
				if err != nil {
					return nil, err
				}
				elems = append(elems, e)
				if p.isOp(",") {
					p.next()
					continue
				}
				if !p.isOp("]") {
					return nil, fmt.Errorf("expected , or ] at column %d", p.peek().pos+1)
				}
			}
			p.next()
			return &listNode{elems: elems}, nil
		}
	case tIdent:
		switch t.text {
		case "true", "True":
			return &litNode{v: true}, nil
		case "false", "False":
			return &litNode{v: false}, nil
		case "null", "none", "None":
			return &litNode{v: nil}, nil
		case "and", "or", "not", "in", "is":
			return nil, fmt.Errorf("unexpected %q at column %d", t.text, t.pos+1)
		case "defined", "undefined":
			// defined(x) / undefined(x) function form
			if p.isOp("(") {
				p.next()
				r := p.next()
				if r.kind != tIdent {
					return nil, fmt.Errorf("expected a variable at column %d", r.pos+1)
				}
				ref, err := p.parseRef(r)
				if err != nil {
					return nil, err
				}
				if !p.isOp(")") {
					return nil, fmt.Errorf("expected ) at column %d", p.peek().pos+1)
				}
				p.next()
				return &definedNode{ref: ref, neg: t.text == "undefined"}, nil
			}
		}
		return p.parseRef(t)
	case tEOF:
		return nil, fmt.Errorf("unexpected end of expression")
	}
	return nil, fmt.Errorf("unexpected %q at column %d", t.text, t.pos+1)
}

func (p *parser) parseRef(first token) (*refNode, error) {
	ref := &refNode{path: []string{first.text}}
	for {
		switch {
		case p.isOp("."):
			p.next()
			t := p.next()
			if t.kind != tIdent && t.kind != tNumber {
				return nil, fmt.Errorf("expected a name after '.' at column %d", t.pos+1)
			}
			ref.path = append(ref.path, t.text)
		case p.isOp("["):
			p.next()
			t := p.next()
			if t.kind != tString && t.kind != tNumber {
				return nil, fmt.Errorf("expected a string or number index at column %d", t.pos+1)
			}
			if !p.isOp("]") {
				return nil, fmt.Errorf("expected ] at column %d", p.peek().pos+1)
			}
			p.next()
			ref.path = append(ref.path, t.text)
		default:
			return ref, nil
		}
	}
}
