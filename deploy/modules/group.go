package modules

import (
	"context"
	"fmt"
	"strings"

	"github.com/zdmctl/zdmctl/deploy/transport"
)

// groupModule manages a (system) group with groupadd/groupdel, idempotent
// through getent.
type groupModule struct{}

func init() { Register(groupModule{}) }

func (groupModule) Spec() Spec {
	return Spec{
		Name: "group",
		Params: map[string]Param{
			"name":   {Kind: KindString, Required: true},
			"state":  {Kind: KindString, Choices: []string{"present", "absent"}},
			"system": {Kind: KindBool},
			"gid":    {Kind: KindInt},
		},
	}
}

func (groupModule) Run(ctx context.Context, env *Env, a Args) Result {
	name := a.Str("name")
	q := transport.ShellQuote(name)
	res, err := env.exec(ctx, "getent group "+q+"; exit 0")
	if err != nil {
		return Fail(err)
	}
	exists := strings.TrimSpace(string(res.Stdout)) != ""
	var cmd string
	if a.Str("state") == "absent" {
		if exists {
			cmd = "groupdel " + q
		}
	} else if !exists {
		args := []string{"groupadd"}
		if system, _ := a.Bool("system", true); system {
			args = append(args, "--system")
		}
		if gid, _ := a.Int("gid", -1); gid >= 0 {
			args = append(args, "--gid", fmt.Sprint(gid))
		}
		cmd = strings.Join(append(args, q), " ")
	}
	r := Result{Changed: cmd != "", Data: map[string]any{"name": name}}
	if cmd == "" || env.Check {
		return r
	}
	if err := env.runAll(ctx, []string{cmd}); err != nil {
		return Fail(fmt.Errorf("group %s: %w", name, err))
	}
	return r
}
