package inventory

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
)

// Secret references: a string var value "env:NAME" is replaced by the
// environment variable NAME, "file:PATH" by the content of PATH (relative
// paths are relative to the inventory file's directory, "~/" is the home
// directory; one trailing newline is dropped).
const (
	envPrefix  = "env:"
	filePrefix = "file:"
)

// EffectiveVars returns host's vars after precedence (global < group < host <
// overrides), with env:/file: references resolved. Groups apply in the order
// they are declared in the file. Merging is per top-level key (a map value
// replaces, it is not merged).
func (inv *Inventory) EffectiveVars(host string, overrides map[string]any) (map[string]any, error) {
	h := inv.Host(host)
	if h == nil {
		return nil, fmt.Errorf("unknown host %q", host)
	}
	out := map[string]any{}
	maps.Copy(out, inv.Vars)
	for _, g := range inv.Groups {
		if contains(g.Hosts, host) {
			maps.Copy(out, g.Vars)
		}
	}
	maps.Copy(out, h.Vars)
	maps.Copy(out, overrides)
	for k, v := range out {
		r, err := inv.resolve(v)
		if err != nil {
			if _, over := overrides[k]; !over {
				if src, ok := inv.VarSource(host, k); ok {
					return nil, src.Err(err.Error())
				}
			}
			return nil, fmt.Errorf("host %s: var %s: %w", host, k, err)
		}
		out[k] = r
	}
	return out, nil
}

// resolve replaces references in v (recursively), returning a new value.
func (inv *Inventory) resolve(v any) (any, error) {
	switch x := v.(type) {
	case string:
		return inv.resolveString(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			r, err := inv.resolve(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			m[k] = r
		}
		return m, nil
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			r, err := inv.resolve(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = r
		}
		return l, nil
	}
	return v, nil
}

func (inv *Inventory) resolveString(s string) (string, error) {
	switch {
	case strings.HasPrefix(s, envPrefix):
		name := strings.TrimPrefix(s, envPrefix)
		val, ok := os.LookupEnv(name)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		return val, nil
	case strings.HasPrefix(s, filePrefix):
		path := expandHome(strings.TrimPrefix(s, filePrefix))
		if !filepath.IsAbs(path) && inv.Path != "" {
			path = filepath.Join(filepath.Dir(inv.Path), path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			// The *PathError names the file and the cause, never content.
			return "", fmt.Errorf("read secret file: %w", err)
		}
		val := strings.TrimSuffix(string(data), "\n")
		return strings.TrimSuffix(val, "\r"), nil
	}
	return s, nil
}

// hasRef reports whether v holds an env:/file: reference.
func hasRef(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.HasPrefix(x, envPrefix) || strings.HasPrefix(x, filePrefix)
	case map[string]any:
		for _, e := range x {
			if hasRef(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasRef(e) {
				return true
			}
		}
	}
	return false
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}
