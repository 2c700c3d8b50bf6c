package inventory

import (
	"bytes"
	"strings"

	"gopkg.in/yaml.v3"
)

// yamlErrorLine improves where a YAML syntax error is reported: yaml.v3
// names the line where the enclosing block started (a wrong indentation at
// line 24 comes out as line 21), and reports a tab in the indentation as a
// cryptic error on the line before. It returns the line to report and the
// message to give.
func yamlErrorLine(data []byte, line int, msg string) (int, string) {
	lines := bytes.Split(data, []byte("\n"))
	// A tab in the indentation is never valid YAML: name it.
	for i, l := range lines {
		indent := l[:len(l)-len(bytes.TrimLeft(l, " \t"))]
		if bytes.IndexByte(indent, '\t') >= 0 && len(bytes.TrimSpace(l)) > 0 {
			return i + 1, "a tab in the indentation (YAML indents with spaces only)"
		}
	}
	if !isIndentError(msg) {
		return line, msg
	}
	// The first prefix of the file that no longer parses ends at the
	// culprit line (only ever later than what yaml.v3 said).
	for k := max(line, 1); k <= len(lines); k++ {
		var n yaml.Node
		if err := yaml.Unmarshal(bytes.Join(lines[:k], []byte("\n")), &n); err != nil {
			if k != line {
				msg += " (check the indentation)"
			}
			return k, msg
		}
	}
	return line, msg
}

func isIndentError(msg string) bool {
	for _, s := range []string{"did not find expected key", "mapping values are not allowed", "did not find expected '-' indicator", "could not find expected ':'"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
