package modules

import (
	"bytes"
	"fmt"
	"strings"
)

// Redacted replaces secret values in text.
const Redacted = "********"

// HoldsSecret reports whether content contains any of the secret values.
func HoldsSecret(content []byte, secrets []string) bool {
	for _, s := range secrets {
		if s != "" && bytes.Contains(content, []byte(s)) {
			return true
		}
	}
	return false
}

// RedactText replaces every secret value in s.
func RedactText(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
	}
	return s
}

// fileDiff is the diff to report for path, or a notice when the task is
// secret or either side holds a secret value.
func (e *Env) fileDiff(path string, old, new []byte) string {
	if !e.Diff {
		return ""
	}
	if e.Secret || HoldsSecret(old, e.Secrets) || HoldsSecret(new, e.Secrets) {
		if bytes.Equal(old, new) {
			return ""
		}
		return fmt.Sprintf("--- %s (before)\n+++ %s (after)\n@@ content hidden: it holds secrets @@\n", path, path)
	}
	return UnifiedDiff(path, old, new)
}
