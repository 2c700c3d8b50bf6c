package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"
)

func testRecord(i int) *Record {
	return &Record{
		Kind: Replayable, Cluster: "TARGET", Keyspace: "ks", Table: fmt.Sprintf("t%d", i%3),
		Consistency: 6, Timestamp: 1_700_000_000_000_000 + int64(i), At: int64(i + 1), BatchType: NoBatch,
		Reason: "timeout",
		Statements: []Statement{{
			Query:  "INSERT INTO ks.t (k, v) VALUES (?, ?)",
			Values: []Value{{B: []byte{0, 0, 0, byte(i)}}, {B: []byte(fmt.Sprintf("value-%d", i))}},
		}},
	}
}

func openT(t *testing.T, dir string, o Options) *Journal {
	t.Helper()
	j, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func readAll(t *testing.T, dir string) []Record {
	t.Helper()
	var out []Record
	r, err := OpenReplay(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// A read that acknowledges nothing: fn fails on purpose after collecting.
	stop := errors.New("peek")
	err = r.Each(func(rec Record) error { out = append(out, rec); return nil })
	_ = stop
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRecordRoundTrip(t *testing.T) {
	r := Record{Kind: NeedsRepair, Cluster: "ORIGIN", Keyspace: "k", Table: "t", Consistency: 10, Timestamp: -5, At: 42,
		BatchType: 1, Reason: "budget", PartitionKey: "k=1",
		Statements: []Statement{
			{Query: "UPDATE k.t SET c = c + ? WHERE k = ?", Values: []Value{{B: nil}, {Unset: true}, {B: []byte{}}, {B: []byte("x")}}},
			{Query: "INSERT INTO k.t (a) VALUES (:a)", Values: []Value{{B: []byte{1}}}, Names: []string{"a"}},
			{Query: "DELETE FROM k.t WHERE k = 1"},
		}}
	b, err := r.appendPayload(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodePayload(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, r)
	}
	if got.Statements[0].Values[0].B != nil || got.Statements[0].Values[2].B == nil {
		t.Fatal("NULL and empty values must stay distinct")
	}
	for i := range b {
		if _, err := decodePayload(b[:i]); err == nil {
			t.Fatalf("truncated payload (%d of %d bytes) decoded", i, len(b))
		}
	}
}

func TestAppendFlushReopenReplay(t *testing.T) {
	dir := t.TempDir()
	j := openT(t, dir, Options{})
	for i := 0; i < 50; i++ {
		if err := j.Append(testRecord(i)); err != nil {
			t.Fatal(err)
		}
	}
	j.Flush()
	if s := j.Stats(); s.Appended != 50 || s.Pending != 50 || s.Dropped != 0 {
		t.Fatalf("stats after 50 appends: %+v", s)
	}
	j.Close()

	j2 := openT(t, dir, Options{})
	if s := j2.Stats(); s.Pending != 50 {
		t.Fatalf("pending after reopen = %d, want 50", s.Pending)
	}
	got := readAll(t, dir)
	if len(got) != 50 {
		t.Fatalf("replayed %d records, want 50", len(got))
	}
	for i, r := range got {
		if !reflect.DeepEqual(r, *testRecord(i)) {
			t.Fatalf("record %d differs:\n got %+v\nwant %+v", i, r, *testRecord(i))
		}
	}
	j2.Refresh()
	if s := j2.Stats(); s.Pending != 0 {
		t.Fatalf("pending after a full replay = %d, want 0", s.Pending)
	}
}

func TestGroupCommitBatchesConcurrentAppends(t *testing.T) {
	j := openT(t, t.TempDir(), Options{})
	var wg sync.WaitGroup
	const writers, each = 8, 200
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := j.Append(testRecord(w*each + i)); err != nil {
					t.Error(err)
				}
			}
		}(w)
	}
	wg.Wait()
	j.Flush()
	s := j.Stats()
	if s.Appended != writers*each {
		t.Fatalf("appended %d, want %d", s.Appended, writers*each)
	}
	if s.Batches >= s.Appended {
		t.Fatalf("%d fsynced batches for %d records: no group commit", s.Batches, s.Appended)
	}
	t.Logf("%d records in %d fsynced batches", s.Appended, s.Batches)
}

// segmentBytes writes batches of records with a journal and returns the
// bytes of its (only) segment and the offsets where each record ends.
func segmentBytes(t *testing.T, batches [][]int) ([]byte, []int64) {
	t.Helper()
	dir := t.TempDir()
	j := openT(t, dir, Options{})
	for _, b := range batches {
		for _, i := range b {
			if err := j.Append(testRecord(i)); err != nil {
				t.Fatal(err)
			}
		}
		j.Flush()
	}
	seq := j.seq
	j.Close()
	data, err := os.ReadFile(segPath(dir, seq))
	if err != nil {
		t.Fatal(err)
	}
	var ends []int64
	scanBytes(data, 0, func(_ Record, _, next int64) bool { ends = append(ends, next); return true })
	return data, ends
}

func TestTruncatedAtEveryOffsetKeepsEarlierRecords(t *testing.T) {
	data, ends := segmentBytes(t, [][]int{{0, 1}, {2}, {3, 4, 5}})
	if len(ends) != 6 {
		t.Fatalf("segment holds %d records, want 6", len(ends))
	}
	for k := 0; k <= len(data); k++ {
		want := 0
		for _, e := range ends {
			if e <= int64(k) {
				want++
			}
		}
		dir := t.TempDir()
		if err := os.WriteFile(segPath(dir, 1), data[:k], 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := Inspect(dir)
		if err != nil {
			t.Fatalf("offset %d: %v", k, err)
		}
		if rep.Pending != int64(want) || len(rep.CorruptSegments) != 0 {
			t.Fatalf("truncated at %d: pending %d corrupt %v, want %d records and no corruption", k, rep.Pending, rep.CorruptSegments, want)
		}
		// A writer opening the torn journal keeps the good records and
		// appends after them in a new segment.
		j, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("offset %d: open: %v", k, err)
		}
		if err := j.Append(testRecord(99)); err != nil {
			t.Fatal(err)
		}
		j.Flush()
		if s := j.Stats(); s.Pending != int64(want)+1 || s.CorruptSegments != 0 {
			t.Fatalf("offset %d: writer stats %+v, want %d pending", k, s, want+1)
		}
		j.Close()
		got := readAll(t, dir)
		if len(got) != want+1 {
			t.Fatalf("offset %d: replayed %d, want %d", k, len(got), want+1)
		}
		for i := 0; i < want; i++ {
			if !reflect.DeepEqual(got[i], *testRecord(i)) {
				t.Fatalf("offset %d: record %d differs", k, i)
			}
		}
		if got[want].Timestamp != testRecord(99).Timestamp {
			t.Fatalf("offset %d: the record appended after reopening is not last", k)
		}
	}
}

func TestCorruptSegmentSkippedGoodRecordsKept(t *testing.T) {
	data, ends := segmentBytes(t, [][]int{{0, 1, 2, 3}})
	dir := t.TempDir()
	bad := append([]byte{}, data...)
	bad[ends[1]+recHeaderLen+5] ^= 0xFF // a byte inside record 2's payload
	if err := os.WriteFile(segPath(dir, 1), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(segPath(dir, 2), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(segPath(dir, 3), []byte("not a segment at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("a corrupt segment must not stop Open: %v", err)
	}
	s := j.Stats()
	j.Close()
	if s.CorruptSegments != 2 || s.Pending != 2+4 {
		t.Fatalf("stats %+v, want 2 corrupt segments and 6 pending (2 before the bad record, 4 in the good segment)", s)
	}
	rep, err := Inspect(dir)
	if err != nil || len(rep.CorruptSegments) != 2 {
		t.Fatalf("inspect: %v %v", rep.CorruptSegments, err)
	}
	r, err := OpenReplay(dir)
	if err != nil {
		t.Fatal(err)
	}
	var corrupt []string
	r.OnCorrupt = func(seg string, _ error) { corrupt = append(corrupt, filepath.Base(seg)) }
	var got []int64
	if err := r.Each(func(rec Record) error { got = append(got, rec.Timestamp-testRecord(0).Timestamp); return nil }); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if want := []int64{0, 1, 0, 1, 2, 3}; !reflect.DeepEqual(got, want) {
		t.Fatalf("replayed %v, want %v", got, want)
	}
	if len(corrupt) != 2 {
		t.Fatalf("OnCorrupt told about %v", corrupt)
	}
	if _, err := os.Stat(segPath(dir, 1) + ".corrupt"); err != nil {
		t.Fatalf("the corrupt segment should be set aside: %v", err)
	}
}

func TestFullJournalDropsAndRecoversAfterReplay(t *testing.T) {
	dir := t.TempDir()
	rec, _ := frameRecord(nil, testRecord(0))
	per := int64(len(rec))
	max := int64(len(segMagic)) + 10*per + per/2
	j := openT(t, dir, Options{MaxBytes: max, SegmentBytes: 4 * per})
	var full int
	for i := 0; i < 15; i++ {
		if err := j.Append(testRecord(i)); errors.Is(err, ErrFull) {
			full++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	j.Flush()
	s := j.Stats()
	if full == 0 || s.Dropped != int64(full) || s.Appended+s.Dropped != 15 {
		t.Fatalf("full=%d stats %+v", full, s)
	}
	if s.Bytes > max {
		t.Fatalf("journal holds %d bytes, bound is %d", s.Bytes, max)
	}
	got := readAll(t, dir)
	if int64(len(got)) != s.Appended {
		t.Fatalf("replayed %d of %d", len(got), s.Appended)
	}
	j.Refresh()
	if s2 := j.Stats(); s2.Pending != 0 || s2.Bytes >= s.Bytes {
		t.Fatalf("after replay: %+v (before %+v): replayed segments should be deleted", s2, s)
	}
	if err := j.Append(testRecord(100)); err != nil {
		t.Fatalf("append after space was freed: %v", err)
	}
}

func TestReplayIsResumableAndAcksOnlyOnSuccess(t *testing.T) {
	dir := t.TempDir()
	j := openT(t, dir, Options{SegmentBytes: 600})
	for i := 0; i < 20; i++ {
		if err := j.Append(testRecord(i)); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			j.Flush() // several batches, several segments
		}
	}
	j.Flush()
	if segs, _ := listSegments(dir); len(segs) < 3 {
		t.Fatalf("want several segments, got %v", segs)
	}
	r, err := OpenReplay(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.CommitEvery = 3
	if _, err := OpenReplay(dir); err == nil {
		t.Fatal("a second concurrent replay must be refused")
	}
	boom := errors.New("cluster unavailable")
	var first []int64
	err = r.Each(func(rec Record) error {
		n := rec.Timestamp - testRecord(0).Timestamp
		if n == 7 {
			return boom
		}
		first = append(first, n)
		return nil
	})
	r.Close()
	if !errors.Is(err, boom) || len(first) != 7 {
		t.Fatalf("first pass: err %v, acked %v", err, first)
	}
	j.Refresh()
	if p := j.Stats().Pending; p != 13 {
		t.Fatalf("pending after acking 7 of 20 = %d", p)
	}
	// More appends while the replay is paused.
	for i := 20; i < 25; i++ {
		_ = j.Append(testRecord(i))
	}
	j.Flush()
	var second []int64
	r2, err := OpenReplay(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.Each(func(rec Record) error { second = append(second, rec.Timestamp-testRecord(0).Timestamp); return nil }); err != nil {
		t.Fatal(err)
	}
	r2.Close()
	if len(second) != 18 || second[0] != 7 || second[17] != 24 {
		t.Fatalf("second pass replayed %v, want 7..24", second)
	}
	j.Refresh()
	if s := j.Stats(); s.Pending != 0 {
		t.Fatalf("pending after both passes: %+v", s)
	}
	if segs, _ := listSegments(dir); len(segs) != 1 {
		t.Fatalf("replayed segments should be gone, left %v", segs)
	}
}

func TestInspectPerTable(t *testing.T) {
	dir := t.TempDir()
	j := openT(t, dir, Options{})
	for i := 0; i < 9; i++ {
		r := testRecord(i)
		if i == 4 {
			r.Kind = NeedsRepair
		}
		_ = j.Append(r)
	}
	j.Flush()
	rep, err := Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pending != 8 || rep.NeedsRepair != 1 || len(rep.Tables) != 3 {
		t.Fatalf("report %+v", rep)
	}
	t1 := rep.Tables[1]
	if t1.Table != "t1" || t1.Pending != 2 || t1.NeedsRepair != 1 || !t1.Oldest.Equal(time.Unix(0, 2).UTC()) || !t1.Newest.Equal(time.Unix(0, 8).UTC()) {
		t.Fatalf("t1: %+v", t1)
	}
	if rep, err := Inspect(filepath.Join(dir, "missing")); err != nil || rep.Pending != 0 {
		t.Fatalf("a missing directory is an empty journal: %+v %v", rep, err)
	}
}

func TestOpenRefusesUnusableDirectories(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(f, Options{}); err == nil {
		t.Fatal("a regular file is not a journal directory")
	}
	if _, err := Open("", Options{}); err == nil {
		t.Fatal("an empty journal_dir must be refused")
	}
	dir := t.TempDir()
	openT(t, dir, Options{})
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("two writers on one directory must be refused")
	}
}

func TestAppendAfterCloseIsRefused(t *testing.T) {
	j, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = j.Append(testRecord(1))
	j.Close()
	if err := j.Append(testRecord(2)); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if s := j.Stats(); s.Appended != 1 {
		t.Fatalf("close must flush what was queued: %+v", s)
	}
}
