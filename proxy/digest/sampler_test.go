package digest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestSamplerRates(t *testing.T) {
	for _, tc := range []struct {
		rate float64
		n    int
		want int
	}{{0, 1000, 0}, {-1, 10, 0}, {1, 1000, 1000}, {2, 10, 10}, {0.5, 1000, 500}, {0.1, 1000, 100}, {0.01, 10000, 100}, {0.25, 8, 2}} {
		s := NewSampler(tc.rate)
		got := 0
		for i := 0; i < tc.n; i++ {
			if s.Sample() {
				got++
			}
		}
		// Fixed-point truncation may lose one sample at most.
		if got != tc.want && got != tc.want-1 {
			t.Errorf("rate %v over %d: %d sampled, want %d", tc.rate, tc.n, got, tc.want)
		}
	}
}

func TestMismatchLoggerRateLimit(t *testing.T) {
	var buf bytes.Buffer
	ml := NewMismatchLogger(slog.New(slog.NewJSONHandler(&buf, nil)), 2, false)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ml.Now = func() time.Time { return now }
	m := Mismatch{Result: Result{Keyspace: "ks", Table: "t"}, Statement: "SELECT * FROM ks.t WHERE id = ?",
		Values: [][]byte{{0xde, 0xad}}}
	logged := 0
	for i := 0; i < 5; i++ {
		if ml.Log(m) {
			logged++
		}
	}
	if logged != 2 {
		t.Fatalf("logged %d in one minute, want 2", logged)
	}
	now = now.Add(61 * time.Second)
	if !ml.Log(m) {
		t.Fatal("not logged in the next minute")
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines: %s", len(lines), buf.String())
	}
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[2]), &last); err != nil {
		t.Fatal(err)
	}
	if last["suppressed_since_last"] != 3.0 || last["statement"] != m.Statement || last["table"] != "t" {
		t.Errorf("last record %v", last)
	}
	if strings.Contains(buf.String(), "dead") {
		t.Error("values logged without log_mismatch_values")
	}
}

func TestMismatchLoggerValues(t *testing.T) {
	var buf bytes.Buffer
	ml := NewMismatchLogger(slog.New(slog.NewTextHandler(&buf, nil)), 10, true)
	ml.Log(Mismatch{Statement: "s", Values: [][]byte{{0xde, 0xad}, nil, bytes.Repeat([]byte{1}, 100)}})
	out := buf.String()
	if !strings.Contains(out, "0xdead") || !strings.Contains(out, "null") || !strings.Contains(out, "...") {
		t.Errorf("values not logged: %s", out)
	}
}
