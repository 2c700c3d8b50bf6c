package modules

import (
	"fmt"
	"strings"
)

// maxDiffCells bounds the LCS table; bigger inputs get a summary line.
const maxDiffCells = 16_000_000

// UnifiedDiff returns a unified diff (3 lines of context) from old to new,
// "" when equal.
func UnifiedDiff(path string, old, new []byte) string {
	if string(old) == string(new) {
		return ""
	}
	a, b := splitLines(string(old)), splitLines(string(new))
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s (before)\n+++ %s (after)\n", path, path)
	if len(a)*len(b) > maxDiffCells {
		fmt.Fprintf(&sb, "@@ file too large to diff: %d lines before, %d after @@\n", len(a), len(b))
		return sb.String()
	}
	ops := diffOps(a, b)
	writeHunks(&sb, ops, 3)
	return sb.String()
}

type diffOp struct {
	kind byte // ' ', '-', '+'
	text string
	ai   int // line index in a (for ' ' and '-')
	bi   int // line index in b (for ' ' and '+')
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// diffOps computes an edit script with a longest-common-subsequence table.
func diffOps(a, b []string) []diffOp {
	n, m := len(a), len(b)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else if lcs[i+1][j] >= lcs[i][j+1] {
				lcs[i][j] = lcs[i+1][j]
			} else {
				lcs[i][j] = lcs[i][j+1]
			}
		}
	}
	var ops []diffOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, diffOp{' ', a[i], i, j})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] > lcs[i+1][j]):
			ops = append(ops, diffOp{'+', b[j], i, j})
			j++
		default:
			ops = append(ops, diffOp{'-', a[i], i, j})
			i++
		}
	}
	return ops
}

func writeHunks(sb *strings.Builder, ops []diffOp, ctx int) {
	for start := 0; start < len(ops); {
		// find next change
		first := -1
		for k := start; k < len(ops); k++ {
			if ops[k].kind != ' ' {
				first = k
				break
			}
		}
		if first < 0 {
			return
		}
		lo := max(first-ctx, start)
		// extend the hunk while changes are within 2*ctx of each other
		hi := first
		for k := first; k < len(ops); k++ {
			if ops[k].kind != ' ' {
				hi = k
			} else if k-hi > 2*ctx {
				break
			}
		}
		end := min(hi+ctx+1, len(ops))
		aStart, bStart, aLen, bLen := ops[lo].ai, ops[lo].bi, 0, 0
		for _, op := range ops[lo:end] {
			if op.kind != '+' {
				aLen++
			}
			if op.kind != '-' {
				bLen++
			}
		}
		fmt.Fprintf(sb, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
		for _, op := range ops[lo:end] {
			sb.WriteByte(op.kind)
			sb.WriteString(op.text)
			if !strings.HasSuffix(op.text, "\n") {
				sb.WriteString("\n\\ No newline at end of file\n")
			}
		}
		start = end
	}
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
