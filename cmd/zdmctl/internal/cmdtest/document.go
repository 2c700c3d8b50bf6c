package cmdtest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// EnvelopeKeys are the top-level keys of every `-o json` document
// (output.Document): ok, exit_code, error, the playbook run's result and
// the command's own data.
var EnvelopeKeys = []string{"ok", "exit_code", "error", "result", "data"}

// Envelope is an `-o json` document as a consumer reads it.
type Envelope struct {
	OK       bool            `json:"ok"`
	ExitCode int             `json:"exit_code"`
	Error    string          `json:"error"`
	Data     json.RawMessage `json:"data"`
}

// DecodeDocument checks out is ONE JSON document whose top level holds
// the envelope keys only, with ok and exit_code present, and decodes its
// data into data (nil: data not read, and not required).
func DecodeDocument(t testing.TB, out string, data any) Envelope {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	var top map[string]json.RawMessage
	if err := dec.Decode(&top); err != nil {
		t.Fatalf("not a JSON document: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("more than one JSON document:\n%s", out)
	}
	for k := range top {
		if !slices.Contains(EnvelopeKeys, k) {
			t.Errorf("top-level key %q outside the envelope %v:\n%s", k, EnvelopeKeys, out)
		}
	}
	for _, k := range []string{"ok", "exit_code"} {
		if _, ok := top[k]; !ok {
			t.Errorf("no %q:\n%s", k, out)
		}
	}
	var env Envelope
	if err := json.Unmarshal([]byte(out), &env); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if data != nil {
		if len(env.Data) == 0 {
			t.Fatalf("no data:\n%s", out)
		}
		if err := json.Unmarshal(env.Data, data); err != nil {
			t.Fatalf("data: %v\n%s", err, out)
		}
	}
	return env
}
