package zdmcmd

import (
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// DescribeVars is "k=v, ..." sorted, secrets redacted.
func (e *Env) DescribeVars(ch map[string]any) string {
	keys := make([]string, 0, len(ch))
	for k := range ch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	red := e.Inv.Redact(maps.Clone(ch))
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, red[k]))
	}
	return strings.Join(parts, ", ")
}

// RunsChange reports which of the inventory's proxies now run a change
// after a rollout with outcomes, and whether all of them do.
func (e *Env) RunsChange(out map[string]Outcome) (hosts []string, all bool) {
	all = true
	for _, h := range e.Fleet.Names() {
		switch out[h] {
		case OutcomeChanged, OutcomeUnchanged, OutcomeEarlier:
			hosts = append(hosts, h)
		default:
			all = false
		}
	}
	return hosts, all
}

// explainUnsaved says, on each proxy that runs a change an unfinished
// rolling-update left out of the inventory (its journal), why it differs
// from the inventory and how to finish.
func (e *Env) explainUnsaved(fs *FleetStatus) {
	j, err := zdm.LoadJournal(zdm.JournalPath(e.Path))
	if err != nil || len(j.Changes) == 0 {
		return
	}
	var hosts []string
	for i := range fs.Proxies {
		p := &fs.Proxies[i]
		// Only where it still shows: a later deploy may have put the
		// inventory's value back.
		if !j.IsDone(p.Host) || !p.Drift {
			continue
		}
		hosts = append(hosts, p.Host)
		p.DriftWhy += fmt.Sprintf("; it runs %s from an unfinished %s, not saved in the inventory", e.DescribeVars(j.Changes), j.Command)
	}
	if len(hosts) == 0 {
		return
	}
	fs.Unsaved = fmt.Sprintf("%s run %s from an unfinished %s (started %s, journal %s), not saved in the inventory until every proxy runs it: finish with zdmctl -i %s %s --resume",
		strings.Join(hosts, ", "), e.DescribeVars(j.Changes), j.Command, j.Started.Format("2006-01-02 15:04:05Z"), j.Path(), e.Path, j.Command)
}
