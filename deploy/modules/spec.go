package modules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zdmctl/zdmctl/playbooks/tmpl"
)

// Kind is a parameter's type, checked at load time unless the value is a
// template (then it is checked when rendered).
type Kind int

const (
	KindAny Kind = iota
	KindString
	KindInt
	KindBool
	KindList // a list, or a single string
	KindDuration
	KindMode
)

// Param describes one module argument.
type Param struct {
	Kind     Kind
	Required bool
	Choices  []string
}

// Spec describes a module's arguments.
type Spec struct {
	Name   string
	Params map[string]Param
	// FreeForm is the argument a bare string value fills
	// (`shell: echo hi` is `shell: {cmd: echo hi}`).
	FreeForm string
	// OneOf lists groups of arguments of which exactly one must be set.
	OneOf [][]string
	// Check runs extra static checks.
	Check func(args Args) error
	// AnyArgs accepts any argument name (set_fact).
	AnyArgs bool
}

// Normalize turns a task's raw module value into Args: a map, or a bare
// string for free-form modules, or nothing.
func (s Spec) Normalize(raw any) (Args, error) {
	switch v := raw.(type) {
	case nil:
		return Args{}, nil
	case map[string]any:
		return Args(v), nil
	case string:
		if s.FreeForm == "" {
			return nil, fmt.Errorf("module %s takes a map of arguments, not a string", s.Name)
		}
		return Args{s.FreeForm: v}, nil
	}
	return nil, fmt.Errorf("module %s: arguments must be a map, got %T", s.Name, raw)
}

// Validate checks args against the spec: unknown and missing arguments,
// types, choices and template syntax.
func (s Spec) Validate(args Args) error {
	var unknown []string
	for k := range args {
		if _, ok := s.Params[k]; !ok && !s.AnyArgs {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("module %s: unknown argument %s (allowed: %s)", s.Name,
			strings.Join(unknown, ", "), strings.Join(s.paramNames(), ", "))
	}
	for _, name := range s.paramNames() {
		p := s.Params[name]
		v, ok := args[name]
		if !ok {
			if p.Required {
				return fmt.Errorf("module %s: missing required argument %s", s.Name, name)
			}
			continue
		}
		if err := tmpl.CheckValue(s.Name+"."+name, v); err != nil {
			return fmt.Errorf("module %s: argument %s: %w", s.Name, name, err)
		}
		if str, isStr := v.(string); isStr && tmpl.HasTemplate(str) {
			continue
		}
		if err := checkKind(p, v); err != nil {
			return fmt.Errorf("module %s: argument %s: %w", s.Name, name, err)
		}
	}
	for _, group := range s.OneOf {
		n := 0
		for _, k := range group {
			if _, ok := args[k]; ok {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("module %s: set exactly one of %s", s.Name, strings.Join(group, ", "))
		}
	}
	if s.Check != nil {
		if err := s.Check(args); err != nil {
			return fmt.Errorf("module %s: %w", s.Name, err)
		}
	}
	return nil
}

func (s Spec) paramNames() []string {
	out := make([]string, 0, len(s.Params))
	for k := range s.Params {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func checkKind(p Param, v any) error {
	a := Args{"v": v}
	var err error
	switch p.Kind {
	case KindString:
		_, err = a.String("v")
	case KindInt:
		_, err = a.Int("v", 0)
	case KindBool:
		_, err = a.Bool("v", false)
	case KindList:
		_, err = a.StringList("v")
	case KindDuration:
		_, err = a.Duration("v", 0)
	case KindMode:
		_, _, err = a.Mode("v")
	}
	if err != nil {
		return err
	}
	if len(p.Choices) > 0 {
		s := fmt.Sprint(v)
		for _, c := range p.Choices {
			if c == s {
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %s", s, strings.Join(p.Choices, ", "))
	}
	return nil
}
