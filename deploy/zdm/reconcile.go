package zdm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/proxy/journal"
	"github.com/zdmctl/zdmctl/proxy/reconcile"
)

// The journal of missed writes (write_mode DUAL_ASYNC_ON_SECONDARY) is read
// and replayed on each proxy host by the proxy binary itself (zdm-proxy
// journal status|replay), run over SSH as the proxy's user: zdmctl needs no
// access to the clusters.

// HostJournal is one proxy host's journal as `zdm-proxy journal` reported it.
type HostJournal struct {
	Host   string            `json:"host"`
	Status *journal.Report   `json:"status,omitempty"`
	Replay *reconcile.Result `json:"replay,omitempty"`
	Error  string            `json:"error,omitempty"`
}

// journalOutput is the JSON document of `zdm-proxy journal`.
type journalOutput struct {
	Status *journal.Report   `json:"status"`
	Replay *reconcile.Result `json:"replay"`
	Error  string            `json:"error"`
}

func journalCommand(args string) string {
	return fmt.Sprintf("%s/current journal %s --config %s -o json", InstallDir, args, ConfigPath)
}

func runJournal(ctx context.Context, conn transport.Conn, args string) (journalOutput, error) {
	var out journalOutput
	res, err := conn.Exec(ctx, journalCommand(args), transport.ExecOptions{Become: true, BecomeUser: ServiceUser})
	if err != nil {
		return out, err
	}
	if jerr := json.Unmarshal(res.Stdout, &out); jerr != nil {
		msg := strings.TrimSpace(string(res.Stderr))
		if msg == "" {
			msg = jerr.Error()
		}
		return out, fmt.Errorf("zdm-proxy journal %s (exit %d): %s", strings.Fields(args)[0], res.ExitCode, msg)
	}
	if out.Error != "" {
		return out, errors.New(out.Error)
	}
	return out, nil
}

// JournalStatus reads host's journal: pending and needs-repair records per
// table.
func JournalStatus(ctx context.Context, conn transport.Conn) HostJournal {
	hj := HostJournal{Host: conn.Host()}
	out, err := runJournal(ctx, conn, "status")
	hj.Status = out.Status
	if err != nil {
		hj.Error = err.Error()
	}
	return hj
}

// JournalReplay replays host's pending records at most rate per second;
// skipRefused skips the records the cluster refuses for good.
func JournalReplay(ctx context.Context, conn transport.Conn, rate float64, skipRefused bool) HostJournal {
	hj := HostJournal{Host: conn.Host()}
	args := fmt.Sprintf("replay --rate %g", rate)
	if skipRefused {
		args += " --skip-refused"
	}
	out, err := runJournal(ctx, conn, args)
	hj.Replay = out.Replay
	if err != nil {
		hj.Error = err.Error()
	}
	return hj
}

// JournalGate refuses to make cluster the primary while a proxy holds
// writes it missed (pending or needs repair), or a journal could not be
// read. The error says what to run.
func JournalGate(hosts []HostJournal, cluster string) error {
	var pending, repair int64
	var where, unread []string
	for _, h := range hosts {
		if h.Error != "" {
			unread = append(unread, h.Host+": "+h.Error)
			continue
		}
		if h.Status == nil {
			continue
		}
		var p, r int64
		for _, t := range h.Status.Tables {
			if strings.EqualFold(t.Cluster, cluster) {
				p += t.Pending
				r += t.NeedsRepair
			}
		}
		if p+r > 0 {
			where = append(where, fmt.Sprintf("%s (%d pending, %d needs repair)", h.Host, p, r))
		}
		pending += p
		repair += r
	}
	sort.Strings(where)
	switch {
	case len(unread) > 0:
		return fmt.Errorf("cannot make %s the primary: the journal of missed writes could not be read on %s; fix that, then run zdmctl reconcile",
			cluster, strings.Join(unread, "; "))
	case pending > 0 && repair == 0:
		return fmt.Errorf("cannot make %s the primary: it missed %d writes still in the journal on %s; run zdmctl reconcile --apply first",
			cluster, pending, strings.Join(where, ", "))
	case repair > 0:
		return fmt.Errorf("cannot make %s the primary: it missed writes that cannot be replayed (%d needs-repair, %d pending records on %s); run zdmctl reconcile --apply, copy or repair the tables zdmctl reconcile lists, then on each host: zdm-proxy journal clear-repair --confirm --config %s",
			cluster, repair, pending, strings.Join(where, ", "), ConfigPath)
	}
	return nil
}
