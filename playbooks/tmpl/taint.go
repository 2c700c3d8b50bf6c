package tmpl

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"text/template"
)

// Taint tracks values derived from secrets while rendering: the output of
// any function that transforms a string (upper, replace, quote, printf,
// slice, ...) whose input holds a secret value (or an already derived one)
// is itself recorded as secret, so that redaction catches the upper-cased
// or edited copy too.
type Taint struct {
	mu      sync.Mutex
	secrets []string // values to look for
	derived []string
}

// NewTaint tracks the given secret values.
func NewTaint(secrets []string) *Taint {
	return &Taint{secrets: append([]string(nil), secrets...)}
}

// Derived returns the values derived from secrets so far.
func (t *Taint) Derived() []string {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.derived...)
}

func (t *Taint) tainted(args []any) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, a := range args {
		s, ok := a.(string)
		if !ok {
			s = fmt.Sprint(a)
		}
		for _, sec := range t.secrets {
			if sec != "" && strings.Contains(s, sec) {
				return true
			}
		}
	}
	return false
}

func (t *Taint) add(v any) {
	s, ok := v.(string)
	if !ok || s == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, x := range t.secrets {
		if x == s {
			return
		}
	}
	t.secrets = append(t.secrets, s)
	t.derived = append(t.derived, s)
}

// transforms are the functions whose output may be a transformed copy of
// their input: every one is wrapped when rendering with a Taint.
var transforms = []string{"lower", "upper", "trim", "replace", "quote", "join", "toYaml", "toJson",
	"indent", "nindent", "printf", "print", "println", "html", "js", "urlquery", "slice"}

var builtins = template.FuncMap{
	"printf":   fmt.Sprintf,
	"print":    fmt.Sprint,
	"println":  fmt.Sprintln,
	"html":     template.HTMLEscaper,
	"js":       template.JSEscaper,
	"urlquery": template.URLQueryEscaper,
	"slice": func(item any, idx ...int) (any, error) {
		v := reflect.ValueOf(item)
		switch v.Kind() {
		case reflect.String, reflect.Slice, reflect.Array:
		default:
			return nil, fmt.Errorf("slice: can't slice %T", item)
		}
		lo, hi := 0, v.Len()
		if len(idx) > 0 {
			lo = idx[0]
		}
		if len(idx) > 1 {
			hi = idx[1]
		}
		if len(idx) > 2 || lo < 0 || hi < lo || hi > v.Len() {
			return nil, fmt.Errorf("slice: index out of range")
		}
		return v.Slice(lo, hi).Interface(), nil
	},
}

// taintFuncs wraps the transforms so that their results are tracked.
func taintFuncs(t *Taint) template.FuncMap {
	m := template.FuncMap{}
	for _, name := range transforms {
		fn, ok := staticFuncs[name]
		if !ok {
			fn = builtins[name]
		}
		m[name] = wrap(t, fn)
	}
	return m
}

// wrap returns fn with its string result recorded when an argument was
// tainted. The wrapper has fn's signature (text/template needs it).
func wrap(t *Taint, fn any) any {
	fv := reflect.ValueOf(fn)
	return reflect.MakeFunc(fv.Type(), func(in []reflect.Value) []reflect.Value {
		var out []reflect.Value
		if fv.Type().IsVariadic() {
			out = fv.CallSlice(in)
		} else {
			out = fv.Call(in)
		}
		args := make([]any, 0, len(in))
		for _, a := range in {
			if a.Kind() == reflect.Slice && a.Type().Elem().Kind() == reflect.Interface {
				for i := 0; i < a.Len(); i++ {
					args = append(args, a.Index(i).Interface())
				}
				continue
			}
			args = append(args, a.Interface())
		}
		if len(out) > 0 && t.tainted(args) {
			t.add(out[0].Interface())
		}
		return out
	}).Interface()
}
