package modules

import (
	"context"
	"fmt"
	"strings"

	"github.com/zdmctl/zdmctl/deploy/transport"
)

// packageModule installs or removes OS packages with apt-get or dnf,
// whichever the host has. One round trip finds the manager and what is
// missing; a second installs or removes only when needed.
type packageModule struct{}

func init() { Register(packageModule{}) }

func (packageModule) Spec() Spec {
	return Spec{
		Name: "package",
		Params: map[string]Param{
			"name":         {Kind: KindList, Required: true},
			"state":        {Kind: KindString, Choices: []string{"present", "absent"}},
			"update_cache": {Kind: KindBool},
		},
	}
}

const packageQuery = `if command -v apt-get >/dev/null 2>&1; then echo apt
  for p in %[1]s; do if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then echo "I $p"; else echo "M $p"; fi; done
elif command -v dnf >/dev/null 2>&1; then echo dnf
  for p in %[1]s; do if rpm -q "$p" >/dev/null 2>&1; then echo "I $p"; else echo "M $p"; fi; done
else echo none; fi`

func (packageModule) Run(ctx context.Context, env *Env, a Args) Result {
	names, err := a.StringList("name")
	if err != nil {
		return Fail(err)
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = transport.ShellQuote(n)
	}
	res, err := env.exec(ctx, fmt.Sprintf(packageQuery, strings.Join(quoted, " ")))
	if err != nil {
		return Fail(err)
	}
	lines := strings.Split(strings.TrimSpace(string(res.Stdout)), "\n")
	mgr := lines[0]
	if mgr == "none" || mgr == "" {
		return Failf("no supported package manager (apt-get or dnf) on %s", env.Conn.Host())
	}
	var installed, missing []string
	for _, l := range lines[1:] {
		if p, ok := strings.CutPrefix(l, "I "); ok {
			installed = append(installed, transport.ShellQuote(p))
		} else if p, ok := strings.CutPrefix(l, "M "); ok {
			missing = append(missing, transport.ShellQuote(p))
		}
	}
	update, _ := a.Bool("update_cache", false)
	var cmds []string
	if a.Str("state") == "absent" {
		if len(installed) > 0 {
			if mgr == "apt" {
				cmds = append(cmds, "DEBIAN_FRONTEND=noninteractive apt-get remove -y -q "+strings.Join(installed, " "))
			} else {
				cmds = append(cmds, "dnf remove -y -q "+strings.Join(installed, " "))
			}
		}
	} else if len(missing) > 0 {
		if mgr == "apt" {
			if update {
				cmds = append(cmds, "DEBIAN_FRONTEND=noninteractive apt-get update -q")
			}
			cmds = append(cmds, "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "+strings.Join(missing, " "))
		} else {
			cmds = append(cmds, "dnf install -y -q "+strings.Join(missing, " "))
		}
	}
	r := Result{Changed: len(cmds) > 0, Data: map[string]any{"manager": mgr}}
	if !r.Changed || env.Check {
		return r
	}
	if err := env.runAll(ctx, cmds); err != nil {
		return Fail(fmt.Errorf("package: %w", err))
	}
	return r
}
