package modules

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/zdmctl/zdmctl/playbooks/expr"
)

// assertModule fails unless every expression in `that` holds over the
// host's vars; `fail` always fails with msg; `set_fact` sets host vars for
// the rest of the run (the runner merges Result.Data["facts"]).
type assertModule struct{}
type failModule struct{}
type setFactModule struct{}

func init() {
	Register(assertModule{})
	Register(failModule{})
	Register(setFactModule{})
}

func (assertModule) Spec() Spec {
	return Spec{
		Name: "assert",
		Params: map[string]Param{
			"that":        {Kind: KindAny, Required: true},
			"fail_msg":    {Kind: KindString},
			"success_msg": {Kind: KindString},
		},
		Check: func(a Args) error {
			_, err := assertions(a)
			return err
		},
	}
}

func assertions(a Args) ([]*expr.Expr, error) {
	var srcs []string
	switch v := a["that"].(type) {
	case string:
		srcs = []string{v}
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("that: want expressions, got %T", e)
			}
			srcs = append(srcs, s)
		}
	default:
		return nil, fmt.Errorf("that: want an expression or a list of them")
	}
	out := make([]*expr.Expr, 0, len(srcs))
	for _, s := range srcs {
		e, err := expr.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("that: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (assertModule) Run(_ context.Context, env *Env, a Args) Result {
	exprs, err := assertions(a)
	if err != nil {
		return Fail(err)
	}
	for _, e := range exprs {
		ok, err := e.Bool(env.Vars)
		if err != nil {
			return Fail(err)
		}
		if !ok {
			msg := a.Str("fail_msg")
			if msg == "" {
				msg = "assertion failed: " + e.String()
			}
			return Result{Failed: true, Msg: msg}
		}
	}
	msg := a.Str("success_msg")
	if msg == "" {
		msg = "all assertions passed"
	}
	return Result{Msg: msg}
}

func (failModule) Spec() Spec {
	return Spec{Name: "fail", FreeForm: "msg", Params: map[string]Param{"msg": {Kind: KindString}}}
}

func (failModule) Run(_ context.Context, _ *Env, a Args) Result {
	msg := a.Str("msg")
	if msg == "" {
		msg = "failed as requested"
	}
	return Result{Failed: true, Msg: msg}
}

var factNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (setFactModule) Spec() Spec {
	return Spec{
		Name:    "set_fact",
		AnyArgs: true,
		Check: func(a Args) error {
			if len(a) == 0 {
				return fmt.Errorf("set at least one var")
			}
			var bad []string
			for k := range a {
				if !factNameRE.MatchString(k) {
					bad = append(bad, k)
				}
			}
			if len(bad) > 0 {
				return fmt.Errorf("not valid var names: %s", strings.Join(bad, ", "))
			}
			return nil
		},
	}
}

func (setFactModule) Run(_ context.Context, _ *Env, a Args) Result {
	facts := make(map[string]any, len(a))
	for k, v := range a {
		facts[k] = v
	}
	return Result{Data: map[string]any{"facts": facts}}
}
