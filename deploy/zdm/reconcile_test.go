package zdm

import (
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/proxy/journal"
)

func hostJournal(host, cluster string, pending, repair int64) HostJournal {
	return HostJournal{Host: host, Status: &journal.Report{Tables: []journal.TableStats{
		{Cluster: cluster, Keyspace: "ks", Table: "t", Pending: pending, NeedsRepair: repair}}}}
}

func TestJournalGate(t *testing.T) {
	for name, tc := range map[string]struct {
		hosts []HostJournal
		want  string // "" = allowed
	}{
		"empty":              {[]HostJournal{{Host: "p1", Status: &journal.Report{}}}, ""},
		"other cluster only": {[]HostJournal{hostJournal("p1", "ORIGIN", 5, 1)}, ""},
		"pending":            {[]HostJournal{hostJournal("p1", "TARGET", 5, 0), hostJournal("p2", "TARGET", 2, 0)}, "it missed 7 writes still in the journal on p1 (5 pending, 0 needs repair), p2 (2 pending, 0 needs repair); run zdmctl reconcile --apply first"},
		"needs repair":       {[]HostJournal{hostJournal("p1", "TARGET", 0, 3)}, "journal clear-repair --confirm"},
		"unreadable":         {[]HostJournal{{Host: "p1", Error: "ssh: connection refused"}}, "could not be read on p1: ssh: connection refused"},
	} {
		err := JournalGate(tc.hosts, "TARGET")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want %q", name, err, tc.want)
		}
	}
}
