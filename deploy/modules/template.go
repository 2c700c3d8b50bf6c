package modules

import (
	"context"
	"fmt"

	"github.com/zdmctl/zdmctl/playbooks/tmpl"
)

type templateModule struct{}

func init() { Register(templateModule{}) }

func (templateModule) Spec() Spec {
	return Spec{
		Name: "template",
		Params: withAttrs(map[string]Param{
			"src":  {Kind: KindString, Required: true},
			"dest": {Kind: KindString, Required: true},
		}),
	}
}

func (templateModule) Run(ctx context.Context, env *Env, a Args) Result {
	src := a.Str("src")
	text, err := env.readLocal(src)
	if err != nil {
		return Fail(fmt.Errorf("read template: %w", err))
	}
	taint := tmpl.NewTaint(env.Secrets)
	out, err := tmpl.RenderTainted(src, string(text), env.Vars, taint)
	if err != nil {
		return Fail(err)
	}
	if d := taint.Derived(); len(d) > 0 {
		// The file holds values derived from secrets: its diff is hidden.
		secrets := append(append([]string(nil), env.Secrets...), d...)
		e := *env
		e.Secrets = secrets
		env = &e
	}
	attrs, err := attrsFrom(a)
	if err != nil {
		return Fail(err)
	}
	return env.putFile(ctx, a.Str("dest"), []byte(out), attrs)
}
