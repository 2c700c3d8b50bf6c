package zdmcmd

import (
	"bytes"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/deploy/zdm"
)

func TestPrintChecksVerdicts(t *testing.T) {
	fleet := zdm.Check{Name: "every proxy ready, no drift", Value: "3/3 ready", Want: "all ready, no drift", Pass: true}
	skipped := zdm.Check{Name: "async reads compared over 15m", Value: "-", Want: "> 0", Error: "no Prometheus", Skipped: true}
	failed := zdm.Check{Name: "async read mismatch rate over 15m", Value: "0.25", Want: "<= 0"}
	for _, tc := range []struct {
		checks []zdm.Check
		want   []string
	}{
		{[]zdm.Check{fleet}, []string{"PASS  every proxy ready", "go:    yes, every check passes"}},
		{[]zdm.Check{fleet, skipped}, []string{"SKIP  async reads compared over 15m", "go:    yes, every check run passes (1 not checked"}},
		{[]zdm.Check{fleet, skipped, failed}, []string{"FAIL  async read mismatch rate over 15m  0.25", "go:    no, 1 of 3 checks fail"}},
	} {
		var b bytes.Buffer
		PrintChecks(&b, "checks:", tc.checks)
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("lacks %q:\n%s", w, b.String())
			}
		}
	}
}
