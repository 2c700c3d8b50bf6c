package zdm

import (
	"bufio"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// ParseConfig reads a rendered config back into key → value (JSON-quoted
// values unquoted); lines it cannot read are ignored.
func ParseConfig(text string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if strings.HasPrefix(v, `"`) {
			var s string
			if err := json.Unmarshal([]byte(v), &s); err == nil {
				v = s
			}
		}
		out[strings.TrimSpace(k)] = v
	}
	return out
}

// Changes describes, key by key, how the config text on a host differs
// from c (secret values shown as ********), and whether applying it needs a
// restart (a non-reloadable key changed) rather than a reload.
func (c *Config) Changes(oldText string) (lines []string, restart bool) {
	old := ParseConfig(oldText)
	names := map[string]bool{}
	for k := range old {
		names[k] = true
	}
	for k := range c.Values {
		names[k] = true
	}
	var sorted []string
	for k := range names {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		o, n := old[k], c.Values[k]
		if o == n {
			continue
		}
		if !Reloadable(k) {
			restart = true
		}
		if isSecretKey(k) {
			o, n = mask(o), mask(n)
			if o == n {
				n += " (changed)"
			}
		}
		lines = append(lines, fmt.Sprintf("%s: %s → %s", k, orDash(o), orDash(n)))
	}
	return lines, restart
}

func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	return strings.HasSuffix(k, "password") || strings.HasSuffix(k, "token") || strings.HasSuffix(k, "secret")
}

func mask(s string) string {
	if s == "" {
		return ""
	}
	return "********"
}
