package root

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/internal/demo"
)

// migrationDoc is the operator's runbook, relative to this package.
var migrationDoc = filepath.Join("..", "..", "..", "..", "docs", "migration.md")

// docCommand is one zdmctl command line found in a document.
type docCommand struct {
	line int
	text string
}

// docCommands returns the zdmctl command lines of a Markdown document: the
// lines of fenced code blocks that start with "zdmctl " (continuation
// backslashes joined, trailing comments dropped) and inline code spans
// that do.
func docCommands(path string) ([]docCommand, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []docCommand
	inline := regexp.MustCompile("`(zdmctl [^`]+)`")
	sc := bufio.NewScanner(f)
	n, inFence, pending, pendingAt := 0, false, "", 0
	for sc.Scan() {
		n++
		line := sc.Text()
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "```") {
			inFence = !inFence
			continue
		}
		if !inFence {
			for _, m := range inline.FindAllStringSubmatch(line, -1) {
				out = append(out, docCommand{n, m[1]})
			}
			continue
		}
		if pending != "" {
			pending += " " + strings.TrimSuffix(trim, `\`)
		} else if strings.HasPrefix(trim, "zdmctl ") || trim == "zdmctl" {
			pending, pendingAt = strings.TrimSuffix(trim, `\`), n
		}
		if pending != "" && !strings.HasSuffix(trim, `\`) {
			out = append(out, docCommand{pendingAt, stripComment(pending)})
			pending = ""
		}
	}
	return out, sc.Err()
}

// stripComment drops a shell comment (" #" outside quotes).
func stripComment(s string) string {
	var q rune
	for i, r := range s {
		switch {
		case q != 0 && r == q:
			q = 0
		case q == 0 && (r == '\'' || r == '"'):
			q = r
		case q == 0 && r == '#' && i > 0 && s[i-1] == ' ':
			return strings.TrimSpace(s[:i])
		}
	}
	return strings.TrimSpace(s)
}

// shellWords splits a command line like sh does for plain words and
// single or double quotes; anything else (variables, globs, pipes) is an
// error: the runbook's commands must be copy-pasteable as they are.
func shellWords(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	var q rune
	inWord := false
	for _, r := range s {
		switch {
		case q != 0 && r == q:
			q = 0
		case q != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			q, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.ContainsRune("|;&<>`$(){}", r):
			return nil, fmt.Errorf("shell syntax %q: not a plain command line", r)
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if q != 0 {
		return nil, fmt.Errorf("unterminated quote")
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

// enumeration is the allowed values a flag's usage lists in capitals:
// "ORIGIN or TARGET", "DEBUG, INFO, WARN or ERROR", optionally followed by
// a remark in parentheses ("ORIGIN or TARGET (refused while ...)").
var enumeration = regexp.MustCompile(`^([A-Z][A-Z_]*)((?:, [A-Z][A-Z_]*)*) or ([A-Z][A-Z_]*)(?: \(.*\))?$`)

func flagValues(usage string) []string {
	m := enumeration.FindStringSubmatch(usage)
	if m == nil {
		return nil
	}
	vals := []string{m[1], m[3]}
	for _, v := range strings.Split(m[2], ", ") {
		if v != "" {
			vals = append(vals, v)
		}
	}
	return vals
}

// checkCommandLine parses one zdmctl command line against the real command
// tree without running it: the command exists and runs, its flags exist
// and parse (durations, integers), flags with enumerated values get one of
// them, positional arguments are accepted, and every --set key=value names
// a var zdmctl reads with a value it accepts.
func checkCommandLine(text string) error {
	words, err := shellWords(text)
	if err != nil {
		return err
	}
	if len(words) == 0 || words[0] != "zdmctl" {
		return fmt.Errorf("not a zdmctl command")
	}
	f, _, _ := cmdtest.Factory(cmdtest.NewInventory("a"))
	root := NewCmdRoot(f)
	c, rest, err := root.Find(words[1:])
	if err != nil {
		return err
	}
	if c == root || c.HasSubCommands() || !c.Runnable() {
		return fmt.Errorf("%q is not a command that runs (a group: give a subcommand)", c.CommandPath())
	}
	if err := c.ParseFlags(rest); err != nil {
		return fmt.Errorf("%s: %w", c.CommandPath(), err)
	}
	if err := c.ValidateArgs(c.Flags().Args()); err != nil {
		return fmt.Errorf("%s: %w", c.CommandPath(), err)
	}
	var errs []string
	c.Flags().Visit(func(fl *pflag.Flag) {
		if vals := flagValues(fl.Usage); vals != nil && !slices.Contains(vals, strings.ToUpper(fl.Value.String())) {
			errs = append(errs, fmt.Sprintf("--%s %s: allowed %s", fl.Name, fl.Value, strings.Join(vals, ", ")))
		}
		if fl.Name == "set" {
			sets, _ := c.Flags().GetStringArray("set")
			for _, kv := range sets {
				if err := checkSet(kv); err != nil {
					errs = append(errs, err.Error())
				}
			}
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("%s: %s", c.CommandPath(), strings.Join(errs, "; "))
	}
	return nil
}

func checkSet(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("--set %s: want key=value", kv)
	}
	if !slices.Contains(zdm.KnownVars(), k) {
		return fmt.Errorf("--set %s: no setting zdmctl reads is called %s", kv, k)
	}
	if slices.Contains(zdm.GateVars, k) {
		if _, err := zdm.GateSettingsFrom(map[string]any{k: v}); err != nil {
			return fmt.Errorf("--set %s: %w", kv, err)
		}
		return nil
	}
	if !zdm.IsProxyKey(k) {
		return nil
	}
	vars := map[string]any{"origin_contact_points": "10.0.1.1", "target_contact_points": "10.0.2.1", k: v}
	if err := zdm.Validate(vars); err != nil {
		return fmt.Errorf("--set %s: %w", kv, err)
	}
	return nil
}

// TestMigrationDocCommandsParse keeps the runbook copy-pasteable: every
// zdmctl command line in docs/migration.md must parse against the real
// command tree (nothing runs, nothing is contacted).
func TestMigrationDocCommandsParse(t *testing.T) {
	cmds, err := docCommands(migrationDoc)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) < 20 {
		t.Fatalf("found only %d zdmctl command lines in %s", len(cmds), migrationDoc)
	}
	seen := map[string]bool{}
	for _, c := range cmds {
		if err := checkCommandLine(c.text); err != nil {
			t.Errorf("%s:%d: %s: %v", migrationDoc, c.line, c.text, err)
		}
		if w, _ := shellWords(c.text); len(w) > 1 {
			seen[w[1]] = true
		}
	}
	// The runbook walks every phase: each of these must appear.
	for _, must := range []string{"init", "deploy", "status", "phase", "rolling-update", "rolling-restart", "teardown", "logs"} {
		if !seen[must] {
			t.Errorf("%s never shows zdmctl %s", migrationDoc, must)
		}
	}
}

// TestCheckCommandLineRejects shows the check fails on what a stale
// runbook would hold.
func TestCheckCommandLineRejects(t *testing.T) {
	for _, bad := range []string{
		"zdmctl nosuch",
		"zdmctl deploy --no-such-flag",
		"zdmctl rolling-update --read-mode DUAL_SYNC",
		"zdmctl rolling-update --primary-cluster BOTH",
		"zdmctl rolling-update --write-mode ASYNC",
		"zdmctl rolling-update --log-level TRACE",
		"zdmctl rolling-update --healthy-for ten",
		"zdmctl rolling-update --set proxy_max_stream_ids=lots",
		"zdmctl rolling-update --set proxy_listen_prot=9042",
		"zdmctl status extra-arg",
		"zdmctl logs",
		"zdmctl deploy --set x=$HOME",
		"zdmctl teardown --yes | tee log",
		"zdmctl phase --set gate_window=soon",
		"zdmctl client-config --driver ruby",
	} {
		if err := checkCommandLine(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, good := range []string{
		"zdmctl -i inv.yaml rolling-update --read-mode dual_async_on_secondary --pause 1s",
		"zdmctl rolling-update --set proxy_async_read_queue_size=4096",
		"zdmctl deploy --monitoring-only --set prometheus_port=9091",
		"zdmctl logs collect --since 2h",
		"zdmctl client-config --driver java -o json",
	} {
		if err := checkCommandLine(good); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
}

// TestDemoCommandsParse: the zdmctl commands `make demo` prints at each
// phase parse against the real command tree too.
func TestDemoCommandsParse(t *testing.T) {
	var out bytes.Buffer
	if err := demo.Run(context.Background(), demo.Options{Out: &out, Writes: 3}); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	n := 0
	for _, line := range strings.Split(out.String(), "\n") {
		cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "$ ")
		if !ok || !strings.HasPrefix(cmd, "zdmctl") {
			continue
		}
		n++
		if err := checkCommandLine(cmd); err != nil {
			t.Errorf("demo prints %q: %v", cmd, err)
		}
	}
	if n < 6 {
		t.Errorf("the demo printed %d zdmctl commands:\n%s", n, out.String())
	}
}
