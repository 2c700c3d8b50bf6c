package modules

import (
	"context"
	"fmt"
)

// statModule reports a path's facts for `register` (one round trip):
// exists, kind, isdir, isreg, islink, mode, owner, group, size, checksum,
// link_target. It never changes anything.
type statModule struct{}

func init() { Register(statModule{}) }

func (statModule) Spec() Spec {
	return Spec{Name: "stat", FreeForm: "path", Params: map[string]Param{"path": {Kind: KindString, Required: true}}}
}

func (statModule) Run(ctx context.Context, env *Env, a Args) Result {
	p := a.Str("path")
	st, err := env.probe(ctx, p)
	if err != nil {
		return Fail(err)
	}
	data := map[string]any{
		"path":   p,
		"exists": st.Kind != "absent",
		"kind":   st.Kind,
		"isdir":  st.Kind == "dir",
		"isreg":  st.Kind == "file",
		"islink": st.Kind == "link",
	}
	if st.Kind != "absent" {
		data["mode"] = fmt.Sprintf("%04o", uint32(st.Mode))
		data["owner"], data["group"], data["size"] = st.Owner, st.Group, st.Size
		data["checksum"], data["link_target"] = st.Sum, st.Target
	}
	return Result{Data: map[string]any{"stat": data}}
}
