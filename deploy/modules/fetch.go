package modules

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// fetchModule copies a file from the host to the controller, under
// dest/<host>/<src path> (or dest/<base name> with flat: true).
type fetchModule struct{}

func init() { Register(fetchModule{}) }

func (fetchModule) Spec() Spec {
	return Spec{
		Name: "fetch",
		Params: map[string]Param{
			"src":  {Kind: KindString, Required: true},
			"dest": {Kind: KindString, Required: true},
			"flat": {Kind: KindBool},
		},
	}
}

func (fetchModule) Run(ctx context.Context, env *Env, a Args) Result {
	src, dest := a.Str("src"), a.Str("dest")
	flat, _ := a.Bool("flat", false)
	var local string
	if flat {
		local = filepath.Join(dest, filepath.Base(src))
	} else {
		local = filepath.Join(dest, env.Conn.Host(), strings.TrimPrefix(filepath.Clean(src), "/"))
	}
	data, err := env.Conn.ReadFile(ctx, src, env.Become)
	if err != nil {
		return Fail(fmt.Errorf("fetch %s from %s: %w", src, env.Conn.Host(), err))
	}
	r := Result{Data: map[string]any{"dest": local, "checksum": sha256Hex(data)}}
	old, err := os.ReadFile(local)
	if err == nil && string(old) == string(data) {
		return r
	}
	r.Changed = true
	if env.Check {
		return r
	}
	if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		return Fail(fmt.Errorf("fetch: %w", err))
	}
	tmp := local + ".zdmctl-tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return Fail(fmt.Errorf("fetch: %w", err))
	}
	if err := os.Rename(tmp, local); err != nil {
		os.Remove(tmp)
		return Fail(fmt.Errorf("fetch: %w", err))
	}
	return r
}
