package zdm

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Action is one entry of the journal of actions: something zdmctl did
// outside a rollout that an operator must be able to trace later (e.g.
// breaking another run's fleet lock).
type Action struct {
	Time    time.Time `json:"time"`
	By      string    `json:"by"` // user@host that ran zdmctl
	Command string    `json:"command"`
	Action  string    `json:"action"`
	Host    string    `json:"host"`
	Detail  string    `json:"detail"`
}

// ActionsPath is .zdmctl/actions-<inventory name>.jsonl beside the
// inventory (beside the rollout journal).
func ActionsPath(inventoryPath string) string {
	base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(inventoryPath), ".yaml"), ".yml")
	return filepath.Join(filepath.Dir(inventoryPath), ".zdmctl", "actions-"+base+".jsonl")
}

// RecordAction appends a to the journal of actions at path (one JSON
// object a line, never rewritten).
func RecordAction(path string, a Action) error {
	if a.Time.IsZero() {
		a.Time = time.Now().UTC()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("journal of actions: %w", err)
	}
	line, err := json.Marshal(a)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("journal of actions: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("journal of actions: %w", err)
	}
	return f.Close()
}
