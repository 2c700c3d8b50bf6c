package modules

import (
	"context"
	"fmt"
	"path"

	"github.com/zdmctl/zdmctl/deploy/transport"
)

// fileModule manages a path's existence and attributes:
// state directory | file | touch | absent | link (symlink).
type fileModule struct{}

func init() { Register(fileModule{}) }

func (fileModule) Spec() Spec {
	return Spec{
		Name: "file",
		Params: withAttrs(map[string]Param{
			"path":    {Kind: KindString, Required: true},
			"state":   {Kind: KindString, Choices: []string{"directory", "file", "touch", "absent", "link", "symlink"}},
			"src":     {Kind: KindString},
			"recurse": {Kind: KindBool},
		}),
		Check: func(a Args) error {
			st, _ := a["state"].(string)
			if (st == "link" || st == "symlink") && !a.Has("src") {
				return fmt.Errorf("state %s needs src (the link target)", st)
			}
			if p, ok := a["path"].(string); ok && isDangerousPath(p) {
				return fmt.Errorf("refusing to manage %q", p)
			}
			if p, ok := a["path"].(string); ok && (st == "absent" || a.Has("recurse")) && isSystemDir(p) {
				return fmt.Errorf("refusing to remove or recurse into system directory %q", p)
			}
			return nil
		},
	}
}

// systemDirs are never removed or changed recursively.
var systemDirs = map[string]bool{
	"/bin": true, "/boot": true, "/dev": true, "/etc": true, "/home": true, "/lib": true,
	"/lib64": true, "/opt": true, "/proc": true, "/root": true, "/run": true, "/sbin": true,
	"/srv": true, "/sys": true, "/tmp": true, "/usr": true, "/var": true, "/usr/bin": true,
	"/usr/lib": true, "/usr/local": true, "/usr/sbin": true, "/var/lib": true, "/var/log": true,
	"/etc/systemd": true, "/etc/systemd/system": true,
}

func isSystemDir(p string) bool { return systemDirs[path.Clean(p)] }

func isDangerousPath(p string) bool {
	c := path.Clean(p)
	return c == "/" || c == "." || c == "" || c == ".."
}

func (fileModule) Run(ctx context.Context, env *Env, a Args) Result {
	p := a.Str("path")
	if isDangerousPath(p) {
		return Failf("refusing to manage %q", p)
	}
	state := a.Str("state")
	if state == "" {
		state = "file"
	}
	if recurse, _ := a.Bool("recurse", false); (state == "absent" || recurse) && isSystemDir(p) {
		return Failf("refusing to remove or recurse into system directory %q", p)
	}
	attrs, err := attrsFrom(a)
	if err != nil {
		return Fail(err)
	}
	st, err := env.probe(ctx, p)
	if err != nil {
		return Fail(err)
	}
	q := transport.ShellQuote(p)
	var cmds []string
	res := Result{Data: map[string]any{"path": p, "state": state}}
	switch state {
	case "absent":
		if st.Kind != "absent" {
			cmds = append(cmds, "rm -rf -- "+q)
			res.Diff = diffState(env, p, st.Kind, "absent")
		}
	case "directory":
		switch st.Kind {
		case "absent":
			cmds = append(cmds, "mkdir -p -- "+q)
			st = fileState{Kind: "dir"}
			res.Diff = diffState(env, p, "absent", "directory")
		case "dir":
		default:
			return Failf("%s exists and is a %s, not a directory", p, st.Kind)
		}
		cmds = append(cmds, attrCommands(p, st, attrs)...)
		if recurse, _ := a.Bool("recurse", false); recurse && (attrs.Owner != "" || attrs.Group != "") {
			// Recursive ownership cannot be checked cheaply: only applied
			// when the top directory needed a change.
			if len(cmds) > 0 {
				cmds = append(cmds, fmt.Sprintf("chown -R %s -- %s", ownerSpec(attrs), q))
			}
		}
	case "touch", "file":
		switch st.Kind {
		case "absent":
			if state == "file" {
				return Failf("%s does not exist (use state: touch to create it)", p)
			}
			cmds = append(cmds, ": >> "+q)
			st = fileState{Kind: "file", Mode: 0o644}
			if !attrs.ModeSet {
				st.Mode = 0
			}
			res.Diff = diffState(env, p, "absent", "file")
		case "file":
		default:
			return Failf("%s exists and is a %s, not a file", p, st.Kind)
		}
		cmds = append(cmds, attrCommands(p, st, attrs)...)
	case "link", "symlink":
		src := a.Str("src")
		if st.Kind != "link" || st.Target != src {
			if st.Kind == "dir" {
				return Failf("%s is a directory; refusing to replace it with a symlink", p)
			}
			cmds = append(cmds, fmt.Sprintf("ln -sfn -- %s %s", transport.ShellQuote(src), q))
			res.Diff = diffState(env, p, describe(st), "link -> "+src)
		}
		if attrs.Owner != "" || attrs.Group != "" {
			if st.Kind != "link" || (attrs.Owner != "" && attrs.Owner != st.Owner) || (attrs.Group != "" && attrs.Group != st.Group) {
				cmds = append(cmds, fmt.Sprintf("chown -h %s -- %s", ownerSpec(attrs), q))
			}
		}
	}
	res.Changed = len(cmds) > 0
	if !res.Changed || env.Check {
		return res
	}
	if err := env.runAll(ctx, cmds); err != nil {
		return Fail(fmt.Errorf("file %s: %w", p, err))
	}
	return res
}

func ownerSpec(a fileAttrs) string {
	switch {
	case a.Owner != "" && a.Group != "":
		return transport.ShellQuote(a.Owner) + ":" + transport.ShellQuote(a.Group)
	case a.Owner != "":
		return transport.ShellQuote(a.Owner)
	}
	return ":" + transport.ShellQuote(a.Group)
}

func describe(st fileState) string {
	if st.Kind == "link" {
		return "link -> " + st.Target
	}
	return st.Kind
}

func diffState(env *Env, p, before, after string) string {
	if !env.Diff {
		return ""
	}
	return fmt.Sprintf("--- %s (before)\n+++ %s (after)\n-state: %s\n+state: %s\n", p, p, before, after)
}
