package inventory

import "strings"

// Redacted replaces secret values wherever they would be printed.
const Redacted = "********"

var secretSuffixes = []string{"password", "token", "secret"}

// IsSecretKey reports whether values under key are secret: names ending in
// password, token or secret (case-insensitive), names listed in secret_vars,
// and names whose value in the file is an env:/file: reference.
func (inv *Inventory) IsSecretKey(key string) bool {
	lower := strings.ToLower(key)
	for _, s := range secretSuffixes {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	if inv == nil {
		return false
	}
	for _, k := range inv.SecretKeys {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return inv.refKeys[key]
}

// Redact returns a copy of vars with secret values replaced by "********"
// (recursively in maps and lists of maps).
func (inv *Inventory) Redact(vars map[string]any) map[string]any {
	if vars == nil {
		return nil
	}
	out := make(map[string]any, len(vars))
	for k, v := range vars {
		if inv.IsSecretKey(k) {
			out[k] = Redacted
			continue
		}
		out[k] = inv.redactValue(v)
	}
	return out
}

func (inv *Inventory) redactValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return inv.Redact(x)
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = inv.redactValue(e)
		}
		return l
	}
	return v
}
