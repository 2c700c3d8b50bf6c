// Package spell finds the known name that an unknown one was most likely
// meant to be (a config key, an environment variable, an inventory var).
package spell

import "strings"

// Nearest returns the name of known closest to s, with separators and
// case ignored, when it is at most maxDist edits away; ties go to the
// earliest name in known.
func Nearest(s string, known []string, maxDist int) (string, bool) {
	want := Letters(s)
	best, bestD := -1, maxDist+1
	for i, k := range known {
		if d := Distance(want, Letters(k)); d < bestD {
			best, bestD = i, d
		}
	}
	if best < 0 {
		return "", false
	}
	return known[best], true
}

// Letters is s lower-cased with everything but letters and digits removed.
func Letters(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Distance is the optimal string alignment distance of a and b
// (insertions, deletions, substitutions and swaps of adjacent letters
// cost 1), over bytes: names are ASCII.
func Distance(a, b string) int {
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
