package output

import (
	"encoding/json"
	"io"

	"github.com/zdmctl/zdmctl/deploy/runner"
)

// Document is the one JSON document `--output json` writes, on success
// and on failure alike.
type Document struct {
	OK       bool   `json:"ok"`
	ExitCode int    `json:"exit_code"`
	Error    string `json:"error,omitempty"`
	// Result is the run (absent when it failed before running).
	Result *runner.Result `json:"result,omitempty"`
	// Data is a command's own payload (inventory show, playbook list, ...).
	Data any `json:"data,omitempty"`
}

// WriteJSON writes doc as indented JSON followed by a newline.
func WriteJSON(w io.Writer, doc Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
