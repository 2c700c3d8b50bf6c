package phase

import (
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/proxy/admin"
)

func TestPhaseThreeWaitsForTheJournal(t *testing.T) {
	ps := []zdm.HostStatus{{Host: "p1", Journal: &admin.JournalStatus{Pending: 4}}, {Host: "p2", Journal: &admin.JournalStatus{NeedsRepair: 1}}}
	ph := zdm.Phase{Number: 3, Next: "rolling-update --primary-cluster TARGET"}
	err := journalBlocks(&ph, ps)
	if err == nil || !strings.HasPrefix(ph.Next, "zdmctl reconcile --apply (journals on p1, p2 hold 4 pending and 1 needs-repair") {
		t.Fatalf("err %v next %q", err, ph.Next)
	}
	ph = zdm.Phase{Number: 3, Next: "rolling-update --primary-cluster TARGET"}
	if err := journalBlocks(&ph, []zdm.HostStatus{{Host: "p1", Journal: &admin.JournalStatus{}}}); err != nil || ph.Next != "rolling-update --primary-cluster TARGET" {
		t.Fatalf("empty journals must not block: %v %q", err, ph.Next)
	}
	ph = zdm.Phase{Number: 1, Next: "x"}
	if err := journalBlocks(&ph, ps); err != nil {
		t.Fatal("only the switch to Target waits for the journal")
	}
}
