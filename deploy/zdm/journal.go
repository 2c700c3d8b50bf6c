package zdm

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Journal records a rollout's progress so a failed run can be resumed.
type Journal struct {
	path string

	Command string    `json:"command"`
	RunID   string    `json:"run_id"`
	Started time.Time `json:"started"`
	// Target maps host to the config hash it must run at the end.
	Target map[string]string `json:"target"`
	Done   []string          `json:"done"`
	// Failed is the host that stopped the rollout and why.
	Failed    string `json:"failed,omitempty"`
	FailedWhy string `json:"failed_why,omitempty"`
	// Changes are the settings a rolling-update rolls out (its --set and
	// flags): saved into the inventory only once every proxy runs them,
	// kept here until then so --resume can finish and status can say why
	// the hosts in Done differ from the inventory.
	Changes map[string]any `json:"changes,omitempty"`
}

// JournalPath is .zdmctl/journal-<inventory name>.json beside the inventory.
func JournalPath(inventoryPath string) string {
	base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(inventoryPath), ".yaml"), ".yml")
	return filepath.Join(filepath.Dir(inventoryPath), ".zdmctl", "journal-"+base+".json")
}

// NewJournal starts a journal at path.
func NewJournal(path, command, runID string, target map[string]string) *Journal {
	return &Journal{path: path, Command: command, RunID: runID, Started: time.Now().UTC(), Target: target}
}

// LoadJournal reads the journal at path; os.ErrNotExist when there is none.
func LoadJournal(path string) (*Journal, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	j := &Journal{path: path}
	if err := json.Unmarshal(data, j); err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return j, nil
}

// IsDone reports whether host finished.
func (j *Journal) IsDone(host string) bool {
	for _, h := range j.Done {
		if h == host {
			return true
		}
	}
	return false
}

// MarkDone records host as finished and saves.
func (j *Journal) MarkDone(host string) error {
	if !j.IsDone(host) {
		j.Done = append(j.Done, host)
	}
	return j.Save()
}

// MarkFailed records the failed host and saves.
func (j *Journal) MarkFailed(host, why string) error {
	j.Failed, j.FailedWhy = host, why
	return j.Save()
}

// Save writes the journal atomically.
func (j *Journal) Save() error {
	if err := os.MkdirAll(filepath.Dir(j.path), 0o755); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	tmp := j.path + ".tmp"
	// 0600: Changes may hold a secret given with --set.
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return os.Rename(tmp, j.path)
}

// Remove deletes the journal (the rollout completed).
func (j *Journal) Remove() error {
	err := os.Remove(j.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Path is where the journal lives.
func (j *Journal) Path() string { return j.path }
