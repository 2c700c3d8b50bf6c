//go:build e2e

package e2e

import (
	"encoding/json"
	"testing"
)

// gateTasks are the zdm playbooks' tasks that restart, reload, start or
// wait on a proxy: on a host where nothing changed, none may run.
var gateTasks = map[string]bool{
	"start": true, "restart (binary, unit or non-reloadable settings changed)": true,
	"reload (only live-reloadable settings changed)": true,
	"readiness": true, "process at readiness": true, "clients back": true,
	"stable": true, "stable after a reload": true,
}

// taskStatuses returns, from a run's JSON, each host's status of each
// task named in names ("" when it never appeared).
func taskStatuses(t *testing.T, out string, names map[string]bool) map[string]map[string]string {
	t.Helper()
	var d struct {
		Result struct {
			Plays []struct {
				Batches []struct {
					Tasks []struct {
						Task, Host, Status, Msg string
					} `json:"tasks"`
				} `json:"batches"`
			} `json:"plays"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("run JSON: %v\n%s", err, out)
	}
	got := map[string]map[string]string{}
	for _, p := range d.Result.Plays {
		for _, b := range p.Batches {
			for _, tk := range b.Tasks {
				if !names[tk.Task] {
					continue
				}
				if got[tk.Host] == nil {
					got[tk.Host] = map[string]string{}
				}
				got[tk.Host][tk.Task] = tk.Status
			}
		}
	}
	return got
}

// taskOutputs returns each host's stdout of the task named name, from a
// run's JSON.
func taskOutputs(t *testing.T, out, name string) map[string]string {
	t.Helper()
	var d struct {
		Result struct {
			Plays []struct {
				Batches []struct {
					Tasks []struct {
						Task, Host, Status, Stdout, Stderr string
					} `json:"tasks"`
				} `json:"batches"`
			} `json:"plays"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("run JSON: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, p := range d.Result.Plays {
		for _, b := range p.Batches {
			for _, tk := range b.Tasks {
				if tk.Task == name {
					got[tk.Host] = tk.Stdout + tk.Stderr
				}
			}
		}
	}
	return got
}
