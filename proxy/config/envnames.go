package config

import (
	"fmt"
	"strings"
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
	want := letters(s)
	var best *key
	bestD := maxTypoDistance + 1
	for i := range knownKeys {
		if d := editDistance(want, letters(knownKeys[i].name)); d < bestD {
			best, bestD = &knownKeys[i], d
		}
	}
	return best
}

// letters is s lower-cased with everything but letters and digits removed.
func letters(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// editDistance is the optimal string alignment distance of a and b
// (insertions, deletions, substitutions and swaps of adjacent letters
// cost 1), over bytes: names are ASCII.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
