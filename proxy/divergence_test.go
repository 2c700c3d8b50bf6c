package proxy_test

import (
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/internal/cqltest"
)

const mismatchKey = `zdm_async_read_mismatch_total{keyspace="ks",table="t"}`

func asyncReads(t *testing.T, o *observed, n int) map[string]float64 {
	t.Helper()
	s := o.session(t, nil)
	before := o.scrape(t)
	for i := 0; i < n; i++ {
		if err := s.Query("SELECT * FROM ks.t WHERE k = 'x'").Exec(); err != nil {
			t.Fatal(err)
		}
	}
	// The async replay finishes after the client's answer.
	var after map[string]float64
	waitFor(t, "async reads compared", func() bool {
		after = o.scrape(t)
		return after["zdm_async_read_compared_total"]-before["zdm_async_read_compared_total"] >= float64(n)
	})
	for k := range after {
		after[k] -= before[k]
	}
	return after
}

func TestAsyncReadMismatchCounted(t *testing.T) {
	// The fake clusters answer SELECTs with their own name: rows differ.
	o := newObserved(t, envOpts{extraEnv: []string{"ZDM_READ_MODE=DUAL_ASYNC_ON_SECONDARY"}})
	d := asyncReads(t, o, 4)
	if d[mismatchKey] != 4 {
		t.Fatalf("mismatches grew by %v, want 4", d[mismatchKey])
	}
	if l := o.logs.String(); !strings.Contains(l, "SELECT * FROM ks.t WHERE k = 'x'") || !strings.Contains(l, "table=t") {
		t.Fatalf("mismatch log lacks the statement or table:\n%s", l)
	}
	// A prepared read: the log names the prepared statement's text.
	s := o.session(t, nil)
	if err := s.Query("SELECT * FROM ks.t WHERE k = ?", "y").Exec(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the prepared read's mismatch logged", func() bool {
		return strings.Contains(o.logs.String(), "SELECT * FROM ks.t WHERE k = ?")
	})
}

func TestAsyncReadEqualRowsNoMismatch(t *testing.T) {
	o := newObserved(t, envOpts{extraEnv: []string{"ZDM_READ_MODE=DUAL_ASYNC_ON_SECONDARY"},
		origin: cqltest.Options{Name: "same"}, target: cqltest.Options{Name: "same"}})
	d := asyncReads(t, o, 4)
	if d[mismatchKey] != 0 {
		t.Fatalf("mismatches grew by %v with equal rows, want 0", d[mismatchKey])
	}
}

func TestMismatchValuesLoggedOnlyWhenAsked(t *testing.T) {
	for _, on := range []bool{false, true} {
		o := newObserved(t, envOpts{extraEnv: []string{"ZDM_READ_MODE=DUAL_ASYNC_ON_SECONDARY", "ZDM_LOG_MISMATCH_VALUES=" + map[bool]string{true: "true", false: "false"}[on]}})
		s := o.session(t, nil)
		if err := s.Query("SELECT * FROM ks.t WHERE k = ?", "secret-ish-value").Exec(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the mismatch logged", func() bool { return strings.Contains(o.logs.String(), "WHERE k = ?") })
		hexed := "0x7365637265742d6973682d76616c7565" // "secret-ish-value"
		if got := strings.Contains(o.logs.String(), hexed); got != on {
			t.Fatalf("log_mismatch_values=%v but values logged=%v:\n%s", on, got, o.logs.String())
		}
	}
}
