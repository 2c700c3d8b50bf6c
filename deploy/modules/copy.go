package modules

import (
	"context"
	"fmt"
)

type copyModule struct{}

func init() { Register(copyModule{}) }

var fileAttrParams = map[string]Param{
	"mode":  {Kind: KindMode},
	"owner": {Kind: KindString},
	"group": {Kind: KindString},
}

func withAttrs(p map[string]Param) map[string]Param {
	for k, v := range fileAttrParams {
		p[k] = v
	}
	return p
}

func (copyModule) Spec() Spec {
	return Spec{
		Name: "copy",
		Params: withAttrs(map[string]Param{
			"src":     {Kind: KindString},
			"content": {Kind: KindString},
			"dest":    {Kind: KindString, Required: true},
		}),
		OneOf: [][]string{{"src", "content"}},
	}
}

func (copyModule) Run(ctx context.Context, env *Env, a Args) Result {
	var content []byte
	if a.Has("content") {
		s, err := a.String("content")
		if err != nil {
			return Fail(err)
		}
		content = []byte(s)
	} else {
		src := a.Str("src")
		b, err := env.readLocal(src)
		if err != nil {
			return Fail(fmt.Errorf("read src: %w", err))
		}
		content = b
	}
	attrs, err := attrsFrom(a)
	if err != nil {
		return Fail(err)
	}
	return env.putFile(ctx, a.Str("dest"), content, attrs)
}
