package zdmcmd

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/inventory"
)

// Outcome is what a rollout really did to one host.
type Outcome string

// Host outcomes of a rollout, from what happened (never from the plan).
const (
	OutcomeChanged    Outcome = "changed"                // finished the rollout, something changed
	OutcomeUnchanged  Outcome = "already up to date"     // finished, nothing to change
	OutcomeEarlier    Outcome = "done by an earlier run" // --resume: the journal says done
	OutcomeRolledBack Outcome = "failed and rolled back" // restored, ready again
	OutcomeDown       Outcome = "rolled back and still DOWN"
	OutcomeFailed     Outcome = "failed" // no rollback (restart, teardown)
	OutcomeUntouched  Outcome = "untouched"
)

// hostOutcomes classifies each host of order: done (OnHostDone in a
// serial play this run), earlier (done by a resumed run), failures (with
// their rollback result) and the runner's per-host change counts.
func hostOutcomes(order []string, done, earlier map[string]bool, fails []*failure, res *runner.Result) map[string]Outcome {
	changed := map[string]bool{}
	if res != nil {
		for _, h := range res.Hosts {
			if h.Changed > 0 {
				changed[h.Host] = true
			}
		}
	}
	failed := map[string]*failure{}
	for _, fl := range fails {
		if failed[fl.host] == nil {
			failed[fl.host] = fl
		}
	}
	out := map[string]Outcome{}
	for _, h := range order {
		switch fl := failed[h]; {
		case fl != nil && fl.down:
			out[h] = OutcomeDown
		case fl != nil && fl.rolledBack:
			out[h] = OutcomeRolledBack
		case fl != nil:
			out[h] = OutcomeFailed
		case done[h] && changed[h]:
			out[h] = OutcomeChanged
		case done[h]:
			out[h] = OutcomeUnchanged
		case earlier[h]:
			out[h] = OutcomeEarlier
		default:
			out[h] = OutcomeUntouched
		}
	}
	return out
}

// outcomeSummary lists the hosts by outcome, in a fixed order of
// outcomes and in inventory order within one: "changed: p1; failed and
// rolled back: p2 (restored binary, ready again); untouched: p3".
func outcomeSummary(order []string, out map[string]Outcome, fails []*failure) string {
	why := map[string]string{}
	for _, fl := range fails {
		if _, ok := why[fl.host]; !ok && fl.rollback != "" {
			why[fl.host] = fl.rollback
		}
	}
	var parts []string
	for _, kind := range []Outcome{OutcomeChanged, OutcomeUnchanged, OutcomeEarlier, OutcomeRolledBack, OutcomeDown, OutcomeFailed, OutcomeUntouched} {
		var hosts []string
		for _, h := range order {
			if out[h] != kind {
				continue
			}
			if w := why[h]; w != "" && (kind == OutcomeRolledBack || kind == OutcomeDown) {
				h += " (" + w + ")"
			}
			hosts = append(hosts, h)
		}
		if len(hosts) > 0 {
			parts = append(parts, string(kind)+": "+strings.Join(hosts, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

// SSHHint is the command line an operator runs to do cmds on h as root:
// sudo only when the login user is not root (login "": h.User, and sudo
// when that is not root either).
func SSHHint(h *inventory.Host, login string, cmds ...string) string {
	var b strings.Builder
	b.WriteString("ssh ")
	if h.Port != 0 && h.Port != 22 {
		fmt.Fprintf(&b, "-p %d ", h.Port)
	}
	if h.User != "" {
		b.WriteString(h.User + "@")
	}
	b.WriteString(h.Address)
	if login == "" {
		login = h.User
	}
	var parts []string
	for _, c := range cmds {
		if login != "root" {
			c = "sudo " + c
		}
		parts = append(parts, c)
	}
	b.WriteString(" '" + strings.Join(parts, " && ") + "'")
	return b.String()
}

// downWarning is the message for hosts left down: what to run, in red on
// a terminal.
func downWarning(w io.Writer, hosts []*inventory.Host) string {
	var lines []string
	for _, h := range hosts {
		lines = append(lines, fmt.Sprintf("%s is DOWN: its proxy did not come back after the rollback. See why with: %s; once fixed, start it with: %s",
			h.Name, SSHHint(h, "", "journalctl -u zdm-proxy -n 50 --no-pager"), SSHHint(h, "", "systemctl reset-failed zdm-proxy", "systemctl restart zdm-proxy")))
	}
	msg := strings.Join(lines, "\n")
	if isTerminal(w) && os.Getenv("NO_COLOR") == "" {
		return "\x1b[1;31m" + msg + "\x1b[0m"
	}
	return msg
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
