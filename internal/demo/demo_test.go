package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDemoWalksFivePhases(t *testing.T) {
	var out bytes.Buffer
	if err := Run(context.Background(), Options{Out: &out, Writes: 4}); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	got := out.String()
	// In order: the rows before the proxies (Origin only); phase 1 dual
	// writes, reads on Origin; phase 2 the copy (one row left out); phase
	// 3 the validation finds exactly that row, then none after the copy is
	// re-run; phase 4 reads on Target; phase 5 the proxy empty and the
	// application on Target alone.
	want := []string{
		"rows in shop.orders: Origin 4, Target 0",
		"Phase 1", "$ zdmctl deploy",
		"Origin  writes  4   reads  3\n  Target  writes  4   reads  0",
		"rows in shop.orders: Origin 8, Target 4",
		"Phase 2", "copied 7 rows (order-01 left out", "rows in shop.orders: Origin 8, Target 7",
		"Phase 3", "$ zdmctl rolling-update --read-mode DUAL_ASYNC_ON_SECONDARY",
		"compared 8 (zdm_async_read_compared_total), mismatched 1 (zdm_async_read_mismatch_total, tables: shop.orders)",
		"read every order again: compared 8, mismatched 0", "rows in shop.orders: Origin 8, Target 8",
		"Phase 4", "$ zdmctl rolling-update --primary-cluster TARGET",
		"Origin  writes  4   reads  0\n  Target  writes  4   reads  3",
		"Phase 5", "client connections left on the proxy: 0", "$ zdmctl teardown",
		"Origin  writes  0   reads  0\n  Target  writes  4   reads  0",
		"rows in shop.orders: Origin 12, Target 16",
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
