//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/internal/cqltest"
)

// phaseReport is the data of `zdmctl phase -o json` (under "data").
type phaseReport struct {
	Number int    `json:"number"`
	Next   string `json:"next"`
	Checks []struct {
		Name, Value, Want, Error string
		Pass, Skipped            bool
	} `json:"checks"`
	Go bool `json:"go"`
}

// gateEnforced runs in TestMonitoring's PhaseGates, in phase 3 with the
// async read mismatches Prometheus just counted (gate_window 1m):
// rolling-update --primary-cluster TARGET is refused (exit 3, nothing
// changed) naming the mismatch rate; --force needs --reason; --force
// --reason goes on and `zdmctl history` shows it with the failing check.
// Back on Origin, the clusters answer alike: once the window holds
// compared reads and no mismatch, the same switch passes its gate.
func gateEnforced(t *testing.T, e *zdmEnv, gate []string, phase func() phaseReport, origin, target *cqltest.Cluster) {
	t.Helper()
	sw := func(extra ...string) cmdResult {
		return e.run(append(append([]string{"rolling-update", "--primary-cluster", "TARGET"}, extra...), gate...)...)
	}
	r := sw("-o", "json")
	var doc struct {
		OK       bool   `json:"ok"`
		ExitCode int    `json:"exit_code"`
		Error    string `json:"error"`
		Data     struct {
			Failing []struct{ Name, Value, Want string } `json:"failing"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil || r.code != 3 || doc.OK || doc.ExitCode != 3 ||
		!strings.Contains(doc.Error, "rolling-update --primary-cluster TARGET refused, nothing changed") || !strings.Contains(doc.Error, "async read mismatch rate over 1m = ") {
		t.Fatalf("switch with mismatches: exit %d, %v\n%s\n%s", r.code, err, r.out, tail(r.err, 20))
	}
	mismatch := false
	for _, c := range doc.Data.Failing {
		mismatch = mismatch || strings.HasPrefix(c.Name, "async read mismatch rate") && c.Want == "<= 0" && c.Value != "0"
	}
	if !mismatch {
		t.Fatalf("failing checks lack the mismatch rate: %+v", doc.Data.Failing)
	}
	t.Logf("refused: %s", doc.Error)
	if rep := phase(); rep.Number != 3 {
		t.Fatalf("the refused switch changed the fleet: phase %d", rep.Number)
	}
	if r := sw("--force"); r.code != 2 || !strings.Contains(r.err, "--force needs --reason") {
		t.Fatalf("--force without --reason: exit %d\n%s", r.code, tail(r.err, 5))
	}
	reason := "e2e: the in-memory clusters name themselves in their rows"
	r = sw("--force", "--reason", reason)
	if r.code != 0 || !strings.Contains(r.err, "warning: --force: rolling-update --primary-cluster TARGET goes on despite") {
		t.Fatalf("--force --reason: exit %d\n%s", r.code, tail(r.err, 20))
	}
	if rep := phase(); rep.Number != 4 {
		t.Fatalf("after the forced switch: phase %d", rep.Number)
	}
	h := e.run("history", "-o", "json")
	var hist struct {
		Data []struct {
			By, Command, Action, Reason string
			Checks                      []struct{ Name, Value string }
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(h.out), &hist); err != nil || h.code != 0 || len(hist.Data) == 0 {
		t.Fatalf("history: exit %d %v\n%s", h.code, err, h.out)
	}
	last := hist.Data[len(hist.Data)-1]
	if last.Action != "force" || last.Command != "rolling-update --primary-cluster TARGET" || last.Reason != reason || !strings.Contains(last.By, "@") ||
		len(last.Checks) == 0 || !strings.HasPrefix(last.Checks[0].Name, "async read mismatch rate") && !strings.HasPrefix(last.Checks[len(last.Checks)-1].Name, "async read mismatch rate") {
		t.Fatalf("history's last action: %+v", last)
	}
	if r := e.run(append([]string{"rolling-update", "--primary-cluster", "ORIGIN"}, gate...)...); r.code != 0 {
		t.Fatalf("back to Origin: exit %d\n%s", r.code, tail(r.err, 20))
	}

	// The mismatches stop.
	origin.SetRows(cqltest.RowsOf("origin"))
	target.SetRows(cqltest.RowsOf("origin"))
	l := startLoad(t, e)
	var rep phaseReport
	start := time.Now()
	for {
		if rep = phase(); rep.Go || time.Since(start) > 3*time.Minute {
			break
		}
		time.Sleep(5 * time.Second)
	}
	l.finish(t, "load with equal answers")
	if !rep.Go {
		t.Fatalf("the gate did not pass within 3m of the mismatches stopping: %+v", rep)
	}
	t.Logf("gate passes %s after the mismatches stopped", time.Since(start).Round(time.Second))
	if r := sw(); r.code != 0 || !strings.Contains(r.err, "go:    yes, every check passes") {
		t.Fatalf("switch without mismatches: exit %d\n%s", r.code, tail(r.err, 20))
	}
	if rep := phase(); rep.Number != 4 {
		t.Fatalf("after the switch: phase %d", rep.Number)
	}
}
