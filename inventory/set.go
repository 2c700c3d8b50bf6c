package inventory

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// ParseSet parses --set key=value pairs; values are YAML scalars
// (so "3" is an int, "true" a bool, "" an empty string). A value that is not
// a YAML scalar (e.g. "a: b") stays a plain string. Later pairs win.
func ParseSet(pairs []string) (map[string]any, error) {
	out := map[string]any{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			// Never echo the value: it may be a secret.
			return nil, fmt.Errorf("--set %q: want key=value", k)
		}
		out[k] = scalar(v)
	}
	return out, nil
}

func scalar(v string) any {
	if v == "" {
		return ""
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(v), &n); err != nil || len(n.Content) != 1 || n.Content[0].Kind != yaml.ScalarNode {
		return v
	}
	var out any
	if err := n.Content[0].Decode(&out); err != nil {
		return v
	}
	return out
}
