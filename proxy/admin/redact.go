package admin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/zdmctl/zdmctl/proxy/logging"
)

// Redact returns a deep copy of cfg in which every non-empty value whose key
// is a secret (logging.IsSecretKey: ends in password, secret or token) is
// replaced by logging.Redacted, in nested maps and slices too.
func Redact(cfg map[string]any) map[string]any {
	if cfg == nil {
		return nil
	}
	out := make(map[string]any, len(cfg))
	for k, v := range cfg {
		if logging.IsSecretKey(k) && !isEmpty(v) {
			out[k] = logging.Redacted
			continue
		}
		out[k] = redactValue(v)
	}
	return out
}

func redactValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return Redact(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = redactValue(e)
		}
		return out
	default:
		return v
	}
}

func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	}
	return false
}

// ConfigSHA256 is the hex SHA-256 of v's canonical JSON (encoding/json,
// which sorts map keys). Hash the unredacted config to notice secret
// changes too, or the redacted one when the hash itself must not depend on
// secrets; zdmctl must hash the same form to compare.
func ConfigSHA256(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("config sha256: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
