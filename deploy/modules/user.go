package modules

import (
	"context"
	"fmt"
	"strings"

	"github.com/zdmctl/zdmctl/deploy/transport"
)

// userModule manages a (system) user with useradd/usermod/userdel,
// idempotent through getent.
type userModule struct{}

func init() { Register(userModule{}) }

func (userModule) Spec() Spec {
	return Spec{
		Name: "user",
		Params: map[string]Param{
			"name":        {Kind: KindString, Required: true},
			"state":       {Kind: KindString, Choices: []string{"present", "absent"}},
			"system":      {Kind: KindBool},
			"uid":         {Kind: KindInt},
			"group":       {Kind: KindString},
			"groups":      {Kind: KindList},
			"home":        {Kind: KindString},
			"shell":       {Kind: KindString},
			"create_home": {Kind: KindBool},
		},
	}
}

func (userModule) Run(ctx context.Context, env *Env, a Args) Result {
	name := a.Str("name")
	q := transport.ShellQuote(name)
	res, err := env.exec(ctx, fmt.Sprintf("getent passwd %s; echo '---'; id -nG %s 2>/dev/null; exit 0", q, q))
	if err != nil {
		return Fail(err)
	}
	out := strings.SplitN(string(res.Stdout), "---\n", 2)
	entry := strings.TrimSpace(out[0])
	exists := entry != ""
	var curGroups []string
	if len(out) == 2 {
		curGroups = strings.Fields(out[1])
	}
	var cmd string
	if a.Str("state") == "absent" {
		if exists {
			cmd = "userdel " + q
		}
	} else {
		system, _ := a.Bool("system", true)
		shell := a.Str("shell")
		if shell == "" && system {
			shell = "/usr/sbin/nologin"
		}
		home := a.Str("home")
		groups, err := a.StringList("groups")
		if err != nil {
			return Fail(err)
		}
		if !exists {
			args := []string{"useradd"}
			if system {
				args = append(args, "--system")
			}
			if ch, _ := a.Bool("create_home", !system); ch {
				args = append(args, "--create-home")
			} else {
				args = append(args, "--no-create-home")
			}
			if shell != "" {
				args = append(args, "--shell", transport.ShellQuote(shell))
			}
			if home != "" {
				args = append(args, "--home-dir", transport.ShellQuote(home))
			}
			if uid, _ := a.Int("uid", -1); uid >= 0 {
				args = append(args, "--uid", fmt.Sprint(uid))
			}
			if g := a.Str("group"); g != "" {
				args = append(args, "--gid", transport.ShellQuote(g))
			}
			if len(groups) > 0 {
				args = append(args, "--groups", transport.ShellQuote(strings.Join(groups, ",")))
			}
			cmd = strings.Join(append(args, q), " ")
		} else {
			f := strings.Split(entry, ":")
			var mods []string
			if len(f) >= 7 {
				if shell != "" && f[6] != shell {
					mods = append(mods, "--shell", transport.ShellQuote(shell))
				}
				if home != "" && f[5] != home {
					mods = append(mods, "--home", transport.ShellQuote(home))
				}
			}
			var missing []string
			for _, g := range groups {
				if !contains(curGroups, g) {
					missing = append(missing, g)
				}
			}
			if len(missing) > 0 {
				mods = append(mods, "--append", "--groups", transport.ShellQuote(strings.Join(missing, ",")))
			}
			if len(mods) > 0 {
				cmd = "usermod " + strings.Join(mods, " ") + " " + q
			}
		}
	}
	r := Result{Changed: cmd != "", Data: map[string]any{"name": name}}
	if cmd == "" || env.Check {
		return r
	}
	if err := env.runAll(ctx, []string{cmd}); err != nil {
		return Fail(fmt.Errorf("user %s: %w", name, err))
	}
	return r
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
