package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDemoShowsRoutingPerPhase(t *testing.T) {
	var out bytes.Buffer
	if err := Run(context.Background(), Options{Out: &out, Writes: 4}); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	got := out.String()
	// Phase 1: writes on both, reads on Origin only.
	// Phase 3: reads replayed on Target too. Phase 4: reads on Target only.
	want := []string{
		"Origin  writes  4   reads  3\n  Target  writes  4   reads  0",
		"Origin  writes  4   reads  3\n  Target  writes  4   reads  3",
		"Origin  writes  4   reads  0\n  Target  writes  4   reads  3",
	}
	rest := got
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("demo output lacks %q in order:\n%s", w, got)
		}
		rest = rest[i+len(w):]
	}
}
