package modules

import (
	"context"
	"fmt"
	"strings"

	"github.com/zdmctl/zdmctl/deploy/transport"
)

// commandModule runs a command on the host. `shell` hands the line to sh as
// is; `command` splits it into words and quotes each, so shell operators,
// globs and variables are not interpreted.
type commandModule struct{ shell bool }

func init() {
	Register(commandModule{shell: false})
	Register(commandModule{shell: true})
}

func (m commandModule) Spec() Spec {
	name := "command"
	if m.shell {
		name = "shell"
	}
	return Spec{
		Name:     name,
		FreeForm: "cmd",
		Params: map[string]Param{
			"cmd":     {Kind: KindString, Required: true},
			"chdir":   {Kind: KindString},
			"creates": {Kind: KindString},
			"removes": {Kind: KindString},
			"stdin":   {Kind: KindString},
		},
		Check: func(a Args) error {
			if m.shell {
				return nil
			}
			if s, ok := a["cmd"].(string); ok {
				if _, err := SplitWords(s); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// skipMarker is printed instead of running when creates/removes say so.
const skipMarker = "__zdmctl_skip_7f3a__"

func (m commandModule) Run(ctx context.Context, env *Env, a Args) Result {
	line := a.Str("cmd")
	if !m.shell {
		words, err := SplitWords(line)
		if err != nil {
			return Fail(err)
		}
		for i, w := range words {
			words[i] = transport.ShellQuote(w)
		}
		line = strings.Join(words, " ")
	}
	var pre []string
	if c := a.Str("creates"); c != "" {
		pre = append(pre, fmt.Sprintf("if [ -e %s ]; then printf %s; exit 0; fi", transport.ShellQuote(c), skipMarker))
	}
	if r := a.Str("removes"); r != "" {
		pre = append(pre, fmt.Sprintf("if [ ! -e %s ]; then printf %s; exit 0; fi", transport.ShellQuote(r), skipMarker))
	}
	if env.Check {
		if len(pre) == 0 {
			return Result{Skipped: true, Msg: "command not run in check mode"}
		}
		// Only the guards run: they tell whether the command would run.
		res, err := env.exec(ctx, strings.Join(pre, "\n")+"\nexit 0")
		if err != nil {
			return Fail(err)
		}
		if string(res.Stdout) == skipMarker {
			return Result{Msg: "skipped: creates/removes condition met"}
		}
		return Result{Changed: true, Msg: "would run"}
	}
	if d := a.Str("chdir"); d != "" {
		pre = append(pre, "cd "+transport.ShellQuote(d)+" || exit 1")
	}
	script := line
	if len(pre) > 0 {
		script = strings.Join(pre, "\n") + "\n" + line
	}
	opts := transport.ExecOptions{Become: env.Become, BecomeUser: env.BecomeUser}
	run := script
	switch {
	case HoldsSecret([]byte(script), env.Secrets) && !a.Has("stdin"):
		// Keep secrets out of argv (ps): the script travels on stdin.
		run, opts.Stdin, opts.Secret = "sh -s", strings.NewReader(script), true
	case a.Has("stdin"):
		opts.Stdin = strings.NewReader(a.Str("stdin"))
		opts.Secret = HoldsSecret([]byte(script), env.Secrets)
	}
	res, err := env.Conn.Exec(ctx, run, opts)
	if err != nil {
		return Fail(err)
	}
	if len(pre) > 0 && string(res.Stdout) == skipMarker {
		return Result{Msg: "skipped: creates/removes condition met"}
	}
	out := Result{
		Changed: true,
		Rc:      res.ExitCode,
		Stdout:  strings.TrimSuffix(string(res.Stdout), "\n"),
		Stderr:  strings.TrimSuffix(string(res.Stderr), "\n"),
	}
	if res.ExitCode != 0 {
		out.Failed = true
		out.Msg = fmt.Sprintf("non-zero exit code %d", res.ExitCode)
		if first, _, _ := strings.Cut(strings.TrimSpace(out.Stderr), "\n"); first != "" {
			out.Msg += ": " + first
		}
	}
	return out
}

// SplitWords splits a command line into words, honouring '...', "..." and
// backslash escapes, without expanding anything.
func SplitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated \" in %q", s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("empty command")
	}
	return words, nil
}
