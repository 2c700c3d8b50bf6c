package metrics

import (
	"testing"
)

// gathered returns the value of every sample of the registry by name and
// label values ("name{v1,v2}").
func gathered(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, s := range mf.GetMetric() {
			key := mf.GetName()
			if len(s.GetLabel()) > 0 {
				key += "{"
				for i, l := range s.GetLabel() {
					if i > 0 {
						key += ","
					}
					key += l.GetValue()
				}
				key += "}"
			}
			switch {
			case s.Gauge != nil:
				out[key] = s.GetGauge().GetValue()
			case s.Counter != nil:
				out[key] = s.GetCounter().GetValue()
			}
		}
	}
	return out
}

func TestJournalMetrics(t *testing.T) {
	m := New(Options{NoRuntimeCollectors: true})
	v := JournalValues{Pending: 7, NeedsRepair: 2, Bytes: 4096, Dropped: 1}
	m.RegisterJournal(func() JournalValues { return v })
	m.SecondaryWriteFailure(Target, "ks", "t", "timeout")
	m.SecondaryWriteFailure(Target, "ks", "t", "timeout")
	m.SecondaryWriteFailure(Origin, "ks", "u", "something else")
	got := gathered(t, m)
	for k, want := range map[string]float64{
		"zdm_journal_pending_records": 7, "zdm_journal_needs_repair_records": 2, "zdm_journal_bytes": 4096,
		"zdm_journal_dropped_records_total": 1, "zdm_journal_corrupt_segments": 0,
		// labels sorted by name: cluster, keyspace, reason, table
		"zdm_secondary_write_failures_total{target,ks,timeout,t}": 2,
		"zdm_secondary_write_failures_total{origin,ks,error,u}":   1,
	} {
		if g, ok := got[k]; !ok || g != want {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, want)
		}
	}
	v.Pending = 3
	if g := gathered(t, m)["zdm_journal_pending_records"]; g != 3 {
		t.Fatalf("gauge not read at scrape time: %v", g)
	}
}

func TestSecondaryDisconnectedGauge(t *testing.T) {
	m := New(Options{NoRuntimeCollectors: true})
	m.SetSecondaryDisconnected(Target, 4)
	g := gathered(t, m)
	if g["zdm_secondary_disconnected_connections{target}"] != 4 || g["zdm_secondary_disconnected_connections{origin}"] != 0 {
		t.Fatalf("target secondary: %v", g)
	}
	m.SetSecondaryDisconnected(Origin, 1) // primary_cluster switched to TARGET
	g = gathered(t, m)
	if g["zdm_secondary_disconnected_connections{target}"] != 0 || g["zdm_secondary_disconnected_connections{origin}"] != 1 {
		t.Fatalf("origin secondary: %v", g)
	}
}
