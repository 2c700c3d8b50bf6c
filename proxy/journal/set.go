package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
)

// Subdirectories of a journal_dir: replayable records, and the needs-repair
// records that are never replayed (they stay until an operator clears them).
const (
	ReplayDir = "replay"
	RepairDir = "repair"
)

// Set is the proxy's journal_dir: a replay journal and a needs-repair
// journal sharing one MaxBytes.
type Set struct {
	Dir    string
	Replay *Journal
	Repair *Journal
}

// OpenSet opens the journals under dir, which must exist and be writable
// (zdmctl deploy creates it; a missing directory is refused rather than
// created, so a typo does not put the journal on the wrong disk).
func OpenSet(dir string, opts Options) (*Set, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("journal_dir %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("journal_dir %s: not a directory", dir)
	}
	if opts.Usage == nil {
		opts.Usage = new(atomic.Int64)
	}
	rp, err := Open(filepath.Join(dir, ReplayDir), opts)
	if err != nil {
		return nil, fmt.Errorf("journal_dir %s: %w", dir, err)
	}
	rr, err := Open(filepath.Join(dir, RepairDir), opts)
	if err != nil {
		rp.Close()
		return nil, fmt.Errorf("journal_dir %s: %w", dir, err)
	}
	return &Set{Dir: dir, Replay: rp, Repair: rr}, nil
}

// Append routes r by kind.
func (s *Set) Append(r *Record) error {
	if r.Kind == NeedsRepair {
		return s.Repair.Append(r)
	}
	return s.Replay.Append(r)
}

// Flush waits for both journals' queued records.
func (s *Set) Flush() {
	s.Replay.Flush()
	s.Repair.Flush()
}

// SetStats are the counters of a Set.
type SetStats struct {
	Pending, NeedsRepair, Bytes, Dropped, CorruptSegments int64
}

// Stats sums both journals.
func (s *Set) Stats() SetStats {
	a, b := s.Replay.Stats(), s.Repair.Stats()
	return SetStats{Pending: a.Pending, NeedsRepair: b.Pending, Bytes: a.Bytes + b.Bytes,
		Dropped: a.Dropped + b.Dropped, CorruptSegments: a.CorruptSegments + b.CorruptSegments}
}

// Close closes both journals.
func (s *Set) Close() error {
	return errors.Join(s.Replay.Close(), s.Repair.Close())
}

// InspectSet reports on both journals of dir: the replay journal's pending
// records and the needs-repair journal's records, per table.
func InspectSet(dir string) (Report, error) {
	a, err := Inspect(filepath.Join(dir, ReplayDir))
	if err != nil {
		return Report{Dir: dir}, err
	}
	b, err := Inspect(filepath.Join(dir, RepairDir))
	if err != nil {
		return Report{Dir: dir}, err
	}
	out := Report{Dir: dir, Bytes: a.Bytes + b.Bytes, Segments: a.Segments + b.Segments,
		Pending: a.Pending + b.Pending, NeedsRepair: a.NeedsRepair + b.NeedsRepair,
		CorruptSegments: append(a.CorruptSegments, b.CorruptSegments...)}
	type key struct{ c, ks, t string }
	idx := map[key]int{}
	for _, ts := range append(a.Tables, b.Tables...) {
		k := key{ts.Cluster, ts.Keyspace, ts.Table}
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out.Tables)
			out.Tables = append(out.Tables, ts)
			continue
		}
		m := &out.Tables[i]
		m.Pending += ts.Pending
		m.NeedsRepair += ts.NeedsRepair
		if ts.Oldest.Before(m.Oldest) {
			m.Oldest = ts.Oldest
		}
		if ts.Newest.After(m.Newest) {
			m.Newest = ts.Newest
		}
	}
	if out.Tables == nil {
		out.Tables = []TableStats{}
	}
	sortTables(out.Tables)
	return out, nil
}
