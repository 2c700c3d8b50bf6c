package zdm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Action is one entry of the journal of actions: something zdmctl did
// outside a rollout that an operator must be able to trace later (e.g.
// breaking another run's fleet lock, or overriding a go/no-go gate with
// --force --reason).
type Action struct {
	Time    time.Time `json:"time"`
	By      string    `json:"by"` // user@host that ran zdmctl
	Command string    `json:"command"`
	Action  string    `json:"action"`
	Host    string    `json:"host"`
	Detail  string    `json:"detail"`
	// Reason is the operator's --reason of an override; Checks the
	// failing checks it overrode, with their live values.
	Reason string  `json:"reason,omitempty"`
	Checks []Check `json:"checks,omitempty"`
}

// Action names in the journal of actions.
const (
	ActionBreakLock = "break-lock"
	ActionForceGate = "force" // a go/no-go gate overridden
)

// ReadActions reads the journal of actions at path, oldest first; a
// missing file is an empty journal.
func ReadActions(path string) ([]Action, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journal of actions: %w", err)
	}
	var out []Action
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var a Action
		if err := json.Unmarshal(line, &a); err != nil {
			return out, fmt.Errorf("journal of actions %s line %d: %w", path, i+1, err)
		}
		out = append(out, a)
	}
	return out, nil
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
