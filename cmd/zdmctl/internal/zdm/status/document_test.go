package status

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/zdmcmd"
)

// statusDoc is `status -o json` as a consumer reads it: the envelope
// every -o json document has, the fleet under "data".
type statusDoc struct {
	OK       bool               `json:"ok"`
	ExitCode int                `json:"exit_code"`
	Error    string             `json:"error"`
	Data     zdmcmd.FleetStatus `json:"data"`
}

// decodeStatus decodes out and checks its top level holds the envelope
// keys and data only, as every other command's document does.
func decodeStatus(t *testing.T, out string) statusDoc {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &top); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for k := range top {
		if !slices.Contains([]string{"ok", "exit_code", "error", "data"}, k) {
			t.Errorf("top-level key %q outside the envelope (ok, exit_code, error, data):\n%s", k, out)
		}
	}
	if _, ok := top["data"]; !ok {
		t.Fatalf("no data:\n%s", out)
	}
	var d statusDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return d
}
