package journal

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"time"
)

// TableStats summarises the pending records of one table for one cluster.
type TableStats struct {
	Cluster     string    `json:"cluster"`
	Keyspace    string    `json:"keyspace"`
	Table       string    `json:"table"`
	Pending     int64     `json:"pending"`
	NeedsRepair int64     `json:"needs_repair"`
	Oldest      time.Time `json:"oldest"` // when the oldest record was journaled
	Newest      time.Time `json:"newest"`
}

// Report is what Inspect found in a journal directory.
type Report struct {
	Dir             string       `json:"dir"`
	Bytes           int64        `json:"bytes"`
	Segments        int          `json:"segments"`
	Pending         int64        `json:"pending"`
	NeedsRepair     int64        `json:"needs_repair"`
	Tables          []TableStats `json:"tables"`
	CorruptSegments []string     `json:"corrupt_segments,omitempty"`
}

// Inspect reads a journal without locking it: counts per cluster and table of
// the records from the cursor on. A directory that does not exist is an
// empty journal.
func Inspect(dir string) (Report, error) {
	rep := Report{Dir: dir, Tables: []TableStats{}}
	seqs, err := listSegments(dir)
	if errors.Is(err, os.ErrNotExist) {
		return rep, nil
	}
	if err != nil {
		return rep, fmt.Errorf("journal: %w", err)
	}
	cur, err := readCursor(dir)
	if err != nil {
		return rep, err
	}
	type key struct{ c, ks, t string }
	tables := map[key]*TableStats{}
	for _, seq := range seqs {
		p := segPath(dir, seq)
		if fi, err := os.Stat(p); err == nil {
			rep.Bytes += fi.Size()
			rep.Segments++
		}
		if seq < cur.Seq {
			continue
		}
		from := int64(0)
		if seq == cur.Seq {
			from = cur.Off
		}
		res, err := scanSegment(p, from, func(r Record, _, _ int64) bool {
			k := key{r.Cluster, r.Keyspace, r.Table}
			ts := tables[k]
			if ts == nil {
				ts = &TableStats{Cluster: r.Cluster, Keyspace: r.Keyspace, Table: r.Table}
				tables[k] = ts
			}
			at := time.Unix(0, r.At).UTC()
			if ts.Oldest.IsZero() || at.Before(ts.Oldest) {
				ts.Oldest = at
			}
			if at.After(ts.Newest) {
				ts.Newest = at
			}
			if r.Kind == NeedsRepair {
				ts.NeedsRepair++
				rep.NeedsRepair++
			} else {
				ts.Pending++
				rep.Pending++
			}
			return true
		})
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			rep.CorruptSegments = append(rep.CorruptSegments, p+": "+err.Error())
		}
		if res.corrupt != nil {
			rep.CorruptSegments = append(rep.CorruptSegments, p+": "+res.corrupt.Error())
		}
	}
	for _, ts := range tables {
		rep.Tables = append(rep.Tables, *ts)
	}
	sortTables(rep.Tables)
	return rep, nil
}

func sortTables(t []TableStats) {
	sort.Slice(t, func(i, j int) bool {
		a, b := t[i], t[j]
		if a.Cluster != b.Cluster {
			return a.Cluster < b.Cluster
		}
		if a.Keyspace != b.Keyspace {
			return a.Keyspace < b.Keyspace
		}
		return a.Table < b.Table
	})
}
