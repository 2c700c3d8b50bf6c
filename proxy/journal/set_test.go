package journal

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestSetRoutesByKindAndSharesTheBound(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenSet(filepath.Join(dir, "missing"), Options{}); err == nil {
		t.Fatal("a missing journal_dir must be refused, not created")
	}
	rec, _ := frameRecord(nil, testRecord(0))
	per := int64(len(rec))
	s, err := OpenSet(dir, Options{MaxBytes: 2*int64(len(segMagic)) + 6*per})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var full int
	for i := 0; i < 10; i++ {
		r := testRecord(i)
		if i%2 == 1 {
			r.Kind = NeedsRepair
		}
		if err := s.Append(r); errors.Is(err, ErrFull) {
			full++
		}
		s.Flush()
	}
	st := s.Stats()
	if st.Pending+st.NeedsRepair != 6 || full != 4 || st.Dropped != 4 || st.Pending != 3 || st.NeedsRepair != 3 {
		t.Fatalf("stats %+v full %d: want 6 records kept across both journals, 4 dropped", st, full)
	}
	rep, err := InspectSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pending != 3 || rep.NeedsRepair != 3 || len(rep.Tables) != 3 {
		t.Fatalf("report %+v", rep)
	}
	var sum int64
	for _, tb := range rep.Tables {
		sum += tb.Pending + tb.NeedsRepair
	}
	if sum != 6 {
		t.Fatalf("per-table counts add up to %d", sum)
	}
}
