// Package tmpl renders Go text/template text over a host's vars, with
// missing keys as errors and a few helpers: default, get, required, quote,
// join, toYaml, toJson, indent, lower, upper, trim, replace, contains.
package tmpl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"text/template"

	"github.com/zdmctl/zdmctl/playbooks/expr"
	"gopkg.in/yaml.v3"
)

// HasTemplate reports whether s contains template actions.
func HasTemplate(s string) bool { return strings.Contains(s, "{{") }

// Parse parses text as a template named name (checks syntax only).
func Parse(name, text string) (*template.Template, error) {
	return template.New(name).Option("missingkey=error").Funcs(funcs(nil)).Parse(text)
}

// parsed caches templates by name and text: the same task args render on
// every host, so each is parsed once per run.
var parsed sync.Map // name + "\x00" + text -> *template.Template

// Render executes text over vars.
func Render(name, text string, vars map[string]any) (string, error) {
	return RenderTainted(name, text, vars, nil)
}

// RenderTainted is Render that records, in taint (nil: none), the values
// derived from secrets (see Taint).
func RenderTainted(name, text string, vars map[string]any, taint *Taint) (string, error) {
	if !HasTemplate(text) {
		return text, nil
	}
	key := name + "\x00" + text
	var t *template.Template
	if c, ok := parsed.Load(key); ok {
		t = c.(*template.Template)
	} else {
		var err error
		t, err = Parse(name, text)
		if err != nil {
			return "", err
		}
		parsed.Store(key, t)
	}
	// A clone gets its own func map, bound to this host's vars.
	t, err := t.Clone()
	if err != nil {
		return "", err
	}
	t.Funcs(varFuncs(vars))
	if taint != nil {
		t.Funcs(taintFuncs(taint))
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, vars); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return buf.String(), nil
}

// RenderValue renders every string inside v (maps and lists recursively).
func RenderValue(name string, v any, vars map[string]any) (any, error) {
	return RenderValueTainted(name, v, vars, nil)
}

// RenderValueTainted is RenderValue recording derived secrets in taint.
func RenderValueTainted(name string, v any, vars map[string]any, taint *Taint) (any, error) {
	switch x := v.(type) {
	case string:
		return RenderTainted(name, x, vars, taint)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := RenderValueTainted(name, e, vars, taint)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := RenderValueTainted(name, e, vars, taint)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// CheckValue parses every template string inside v.
func CheckValue(name string, v any) error {
	switch x := v.(type) {
	case string:
		if HasTemplate(x) {
			_, err := Parse(name, x)
			return err
		}
	case map[string]any:
		for _, e := range x {
			if err := CheckValue(name, e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := CheckValue(name, e); err != nil {
				return err
			}
		}
	}
	return nil
}

// varFuncs are the helpers that read the vars being rendered.
func varFuncs(vars map[string]any) template.FuncMap {
	return template.FuncMap{
		// get reads a var by dotted path, nil when missing:
		// {{ get "tls.enabled" | default false }}
		"get": func(path string) any {
			v, _ := expr.Lookup(vars, path)
			return v
		},
		"has": func(path string) bool {
			_, ok := expr.Lookup(vars, path)
			return ok
		},
	}
}

func funcs(vars map[string]any) template.FuncMap {
	m := varFuncs(vars)
	for k, v := range staticFuncs {
		m[k] = v
	}
	return m
}

var staticFuncs = template.FuncMap{
	// default returns def when v is empty: {{ .port | default 9042 }}
	"default": func(def any, v ...any) any {
		if len(v) == 0 || !expr.Truthy(v[0]) {
			return def
		}
		return v[0]
	},
	"required": func(msg string, v any) (any, error) {
		if v == nil || (reflect.ValueOf(v).Kind() == reflect.String && v.(string) == "") {
			return nil, errors.New(msg)
		}
		return v, nil
	},
	"quote": func(v any) string { return shellQuote(fmt.Sprint(v)) },
	"join": func(sep string, v any) (string, error) {
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			return "", fmt.Errorf("join: want a list, got %T", v)
		}
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(rv.Index(i).Interface())
		}
		return strings.Join(parts, sep), nil
	},
	"toYaml": func(v any) (string, error) {
		b, err := yaml.Marshal(v)
		return strings.TrimSuffix(string(b), "\n"), err
	},
	"toJson": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"indent": func(n int, s string) string {
		pad := strings.Repeat(" ", n)
		return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
	},
	"nindent": func(n int, s string) string {
		pad := strings.Repeat(" ", n)
		return "\n" + pad + strings.ReplaceAll(s, "\n", "\n"+pad)
	},
	// indexOf returns the position of item in list, -1 when absent:
	// {{ indexOf (index .groups "proxies") .inventory_hostname }}
	"indexOf": func(list any, item any) (int, error) {
		rv := reflect.ValueOf(list)
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			return 0, fmt.Errorf("indexOf: want a list, got %T", list)
		}
		for i := 0; i < rv.Len(); i++ {
			if fmt.Sprint(rv.Index(i).Interface()) == fmt.Sprint(item) {
				return i, nil
			}
		}
		return -1, nil
	},
	"lower":    strings.ToLower,
	"upper":    strings.ToUpper,
	"trim":     strings.TrimSpace,
	"replace":  func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
	"contains": func(sub, s string) bool { return strings.Contains(s, sub) },
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
