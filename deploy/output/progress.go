// Package output renders a run for people and machines: live progress
// lines (stderr), diffs, the final recap table, and the single JSON
// document of --output json.
package output

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/playbooks"
)

// Progress prints one line per host and task to Err as they finish, batch
// and play headers, and diffs to Diff (nil: no diffs printed).
type Progress struct {
	Err     io.Writer
	Diff    io.Writer
	Verbose int // 1: task stdout/stderr too
	mu      sync.Mutex
	width   int
}

var _ runner.Observer = (*Progress)(nil)

func (p *Progress) printf(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.Err, format, a...)
}

func (p *Progress) PlayStart(play *playbooks.Play, hosts []string) {
	w := 0
	for _, h := range hosts {
		w = max(w, len(h))
	}
	p.mu.Lock()
	p.width = w
	p.mu.Unlock()
	extra := ""
	if len(play.Serial) > 0 {
		parts := make([]string, len(play.Serial))
		for i, s := range play.Serial {
			parts[i] = s.String()
		}
		extra = ", serial " + strings.Join(parts, ",")
	}
	p.printf("PLAY %s [%d hosts%s]\n", play.Name, len(hosts), extra)
}

func (p *Progress) BatchStart(_ *playbooks.Play, index, of int, hosts []string) {
	if of > 1 {
		p.printf("BATCH %d/%d: %s\n", index, of, strings.Join(hosts, ", "))
	}
}

func (p *Progress) TaskDone(r *runner.TaskResult) {
	status := r.Status
	switch status {
	case "failed", "unreachable":
		status = strings.ToUpper(status)
	}
	name := r.Task
	if r.Handler {
		name = "handler: " + name
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "  %-*s  %-11s %s (%s)", p.width, r.Host, status, name, fmtDur(time.Duration(r.Duration)))
	if r.Msg != "" && (r.Status == "failed" || r.Status == "unreachable" || r.Status == "ignored" || r.Module == "debug" || p.Verbose > 0) {
		fmt.Fprintf(&sb, ": %s", oneLine(r.Msg))
	}
	sb.WriteByte('\n')
	if r.Status == "failed" && r.Stderr != "" {
		fmt.Fprintf(&sb, "      stderr: %s\n", indent(r.Stderr, "      "))
	}
	if p.Verbose > 0 {
		if r.Stdout != "" {
			fmt.Fprintf(&sb, "      stdout: %s\n", indent(r.Stdout, "      "))
		}
		if r.Stderr != "" && r.Status != "failed" {
			fmt.Fprintf(&sb, "      stderr: %s\n", indent(r.Stderr, "      "))
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	io.WriteString(p.Err, sb.String())
	if r.Diff != "" && p.Diff != nil {
		io.WriteString(p.Diff, r.Diff)
	}
}

func (p *Progress) BatchDone(_ *playbooks.Play, b *runner.BatchResult) {
	if b.Of > 1 || b.Stopped != "" {
		bad := len(b.Failed) + len(b.Unreachable)
		p.printf("BATCH %d/%d done: %d ok, %d failed\n", b.Index, b.Of, len(b.Hosts)-bad, bad)
	}
	if b.Stopped != "" {
		p.printf("STOPPED: %s\n", b.Stopped)
	}
}

func (p *Progress) RunDone(*runner.Result) {}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 && len(s) > 200 {
		return s[:i] + " ..."
	}
	return strings.ReplaceAll(s, "\n", " | ")
}

func indent(s, pad string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pad)
}
