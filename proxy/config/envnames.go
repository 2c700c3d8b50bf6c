package config

import (
	"fmt"
	"strings"

	"github.com/zdmctl/zdmctl/internal/spell"
)

// IgnoredEnvPrefixes are ZDM_* variables that belong to other tools of
// this project, not to the proxy: the proxy benchmark harness
// (ZDM_BENCH_*), the end-to-end tests (ZDM_E2E_*) and unit tests
// (ZDM_TEST_*). A proxy started from their environment skips them
// silently.
var IgnoredEnvPrefixes = []string{"ZDM_BENCH_", "ZDM_E2E_", "ZDM_TEST_"}

// maxTypoDistance is the largest edit distance (letters only, separators
// and case ignored) at which an unknown ZDM_* variable is taken for a
// misspelt key: every key name has at least 8 letters, so two edits
// cannot turn one key into another.
const maxTypoDistance = 2

// unknownEnv judges an unknown ZDM_* variable name: an error when it
// looks like a misspelling of a known key (the proxy would otherwise run
// with the default the operator meant to override), a warning otherwise,
// nothing for the ignored prefixes.
func unknownEnv(name string) (warning string, err error) {
	for _, p := range IgnoredEnvPrefixes {
		if strings.HasPrefix(name, p) {
			return "", nil
		}
	}
	if k := nearestKey(strings.TrimPrefix(name, EnvPrefix)); k != nil {
		return "", fmt.Errorf("config: unknown environment variable %s; did you mean %s? (allowed: the ZDM_ + upper-case key names listed by --list-config-keys)",
			name, EnvPrefix+strings.ToUpper(k.name))
	}
	return fmt.Sprintf("ignoring unknown environment variable %s", name), nil
}

// nearestKey is the known key whose name is closest to s with separators
// and case ignored, if within maxTypoDistance; ties go to the first key of
// the table.
func nearestKey(s string) *key {
	names := make([]string, len(knownKeys))
	for i := range knownKeys {
		names[i] = knownKeys[i].name
	}
	name, ok := spell.Nearest(s, names, maxTypoDistance)
	if !ok {
		return nil
	}
	for i := range knownKeys {
		if knownKeys[i].name == name {
			return &knownKeys[i]
		}
	}
	return nil
}
