package modules

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/zdmctl/zdmctl/playbooks/expr"
)

// debugModule prints a message or a var; it never changes anything.
type debugModule struct{}

func init() { Register(debugModule{}) }

func (debugModule) Spec() Spec {
	return Spec{
		Name:     "debug",
		FreeForm: "msg",
		Params:   map[string]Param{"msg": {Kind: KindString}, "var": {Kind: KindString}},
		OneOf:    [][]string{{"msg", "var"}},
	}
}

func (debugModule) Run(_ context.Context, env *Env, a Args) Result {
	if a.Has("msg") {
		return Result{Msg: a.Str("msg")}
	}
	name := a.Str("var")
	v, ok := expr.Lookup(env.Vars, name)
	if !ok {
		return Failf("var %s is not defined", name)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return Result{Msg: fmt.Sprintf("%s: %v", name, v)}
	}
	return Result{Msg: fmt.Sprintf("%s: %s", name, b)}
}
