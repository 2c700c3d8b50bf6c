package expr

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// UndefinedError is returned when an expression reads a variable that does
// not exist (outside `is defined`).
type UndefinedError struct{ Name string }

func (e *UndefinedError) Error() string { return fmt.Sprintf("undefined variable %q", e.Name) }

type node interface {
	eval(vars map[string]any) (any, error)
}

type litNode struct{ v any }
type refNode struct{ path []string }
type listNode struct{ elems []node }
type notNode struct{ x node }
type logicNode struct {
	and  bool
	l, r node
}
type cmpNode struct {
	op   string
	l, r node
}
type inNode struct{ l, r node }
type definedNode struct {
	ref *refNode
	neg bool
}

// Eval evaluates e against vars and returns its value.
func (e *Expr) Eval(vars map[string]any) (any, error) {
	v, err := e.root.eval(vars)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", e.src, err)
	}
	return v, nil
}

// Bool evaluates e and reports its truth.
func (e *Expr) Bool(vars map[string]any) (bool, error) {
	v, err := e.Eval(vars)
	if err != nil {
		return false, err
	}
	return Truthy(v), nil
}

func (n *litNode) eval(map[string]any) (any, error) { return n.v, nil }

func (n *refNode) eval(vars map[string]any) (any, error) {
	v, ok := lookup(vars, n.path)
	if !ok {
		return nil, &UndefinedError{Name: strings.Join(n.path, ".")}
	}
	return v, nil
}

// Lookup resolves a dotted path (a.b.0) in vars.
func Lookup(vars map[string]any, path string) (any, bool) {
	return lookup(vars, strings.Split(path, "."))
}

func lookup(vars map[string]any, path []string) (any, bool) {
	var cur any = vars
	for _, p := range path {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[p]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		case []string:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			rv := reflect.ValueOf(cur)
			if rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String {
				mv := rv.MapIndex(reflect.ValueOf(p).Convert(rv.Type().Key()))
				if !mv.IsValid() {
					return nil, false
				}
				cur = mv.Interface()
				continue
			}
			return nil, false
		}
	}
	return cur, true
}

func (n *listNode) eval(vars map[string]any) (any, error) {
	out := make([]any, 0, len(n.elems))
	for _, e := range n.elems {
		v, err := e.eval(vars)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (n *notNode) eval(vars map[string]any) (any, error) {
	v, err := n.x.eval(vars)
	if err != nil {
		return nil, err
	}
	return !Truthy(v), nil
}

func (n *logicNode) eval(vars map[string]any) (any, error) {
	l, err := n.l.eval(vars)
	if err != nil {
		return nil, err
	}
	if n.and && !Truthy(l) {
		return false, nil
	}
	if !n.and && Truthy(l) {
		return true, nil
	}
	r, err := n.r.eval(vars)
	if err != nil {
		return nil, err
	}
	return Truthy(r), nil
}

func (n *definedNode) eval(vars map[string]any) (any, error) {
	_, ok := lookup(vars, n.ref.path)
	return ok != n.neg, nil
}

func (n *cmpNode) eval(vars map[string]any) (any, error) {
	l, err := n.l.eval(vars)
	if err != nil {
		return nil, err
	}
	r, err := n.r.eval(vars)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "==":
		return equal(l, r), nil
	case "!=":
		return !equal(l, r), nil
	}
	c, err := compare(l, r)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "<":
		return c < 0, nil
	case ">":
		return c > 0, nil
	case "<=":
		return c <= 0, nil
	default:
		return c >= 0, nil
	}
}

func (n *inNode) eval(vars map[string]any) (any, error) {
	l, err := n.l.eval(vars)
	if err != nil {
		return nil, err
	}
	r, err := n.r.eval(vars)
	if err != nil {
		return nil, err
	}
	switch c := r.(type) {
	case string:
		s, ok := l.(string)
		if !ok {
			s = fmt.Sprint(l)
		}
		return strings.Contains(c, s), nil
	case []any:
		for _, e := range c {
			if equal(l, e) {
				return true, nil
			}
		}
		return false, nil
	case []string:
		for _, e := range c {
			if equal(l, e) {
				return true, nil
			}
		}
		return false, nil
	case map[string]any:
		_, ok := c[fmt.Sprint(l)]
		return ok, nil
	case nil:
		return false, nil
	}
	return nil, fmt.Errorf("'in' needs a string, list or map on the right, got %T", r)
}

// Truthy is the truth of a value: false, nil, 0, "" and empty collections
// are false.
func Truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	}
	if f, ok := toFloat(v); ok {
		return f != 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map, reflect.Array:
		return rv.Len() > 0
	}
	return true
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// numeric converts v to a number; strings holding a number (surrounding
// blanks ignored, as in command output) count.
func numeric(v any) (float64, bool) {
	if f, ok := toFloat(v); ok {
		return f, true
	}
	if s, ok := v.(string); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return f, err == nil
	}
	return 0, false
}

func equal(l, r any) bool {
	_, lnum := toFloat(l)
	_, rnum := toFloat(r)
	if lnum || rnum {
		lf, ok1 := numeric(l)
		rf, ok2 := numeric(r)
		if ok1 && ok2 {
			return lf == rf
		}
	}
	if l == nil || r == nil {
		return l == nil && r == nil
	}
	return reflect.DeepEqual(l, r)
}

func compare(l, r any) (int, error) {
	lf, ok1 := numeric(l)
	rf, ok2 := numeric(r)
	_, lnum := toFloat(l)
	_, rnum := toFloat(r)
	if ok1 && ok2 && (lnum || rnum) {
		switch {
		case lf < rf:
			return -1, nil
		case lf > rf:
			return 1, nil
		}
		return 0, nil
	}
	ls, lok := l.(string)
	rs, rok := r.(string)
	if lok && rok {
		return strings.Compare(ls, rs), nil
	}
	return 0, fmt.Errorf("cannot order %T and %T", l, r)
}
