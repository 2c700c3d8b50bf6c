// Package reconcile replays the journal of missed writes (proxy/journal)
// to the cluster that missed them, with the original client timestamps, so
// a replay is idempotent under last-write-wins and never overwrites a newer
// write. `zdm-proxy journal replay` runs it on a proxy host; `zdmctl
// reconcile --apply` runs that fleet-wide over SSH.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/zdmctl/zdmctl/proxy/journal"
)

// Executor sends journal records to the clusters.
type Executor interface {
	// Healthy checks cluster ("ORIGIN" or "TARGET") answers before a replay.
	Healthy(ctx context.Context, cluster string) error
	// Exec writes one record to rec.Cluster with rec.Timestamp and
	// rec.Consistency; nil means the cluster acknowledged it.
	Exec(ctx context.Context, rec journal.Record) error
}

// Options tune a replay.
type Options struct {
	// Rate bounds the records sent per second (0: no bound).
	Rate float64
	// Limit stops after this many records (0: all).
	Limit int64
	// SkipRefused acknowledges, counts and reports records the cluster
	// refuses for good (Executor errors that are Refused: INVALID or SYNTAX,
	// e.g. a table dropped since) instead of stopping at them.
	SkipRefused bool
	// Progress is told how many records were replayed of how many were
	// pending at the start (optional; called at most about once a second
	// and at the end).
	Progress func(done, total int64)
}

// Result is what a replay did.
type Result struct {
	Dir       string `json:"dir"`
	Pending   int64  `json:"pending_before"`
	Replayed  int64  `json:"replayed"`
	Remaining int64  `json:"remaining"`
	// Skipped counts records refused by the cluster and skipped
	// (SkipRefused); Refused shows the first few.
	Skipped int64    `json:"skipped,omitempty"`
	Refused []string `json:"refused,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// Refused marks an Executor error as the cluster refusing the record for
// good (it would refuse it again).
type Refused interface{ Refused() bool }

func isRefused(err error) bool {
	var r Refused
	return errors.As(err, &r) && r.Refused()
}

// Replay sends the pending records of journalDir's replay journal, oldest
// first, acknowledging each only after its cluster did. It stops at the
// first failure (that record stays pending; run it again to resume).
func Replay(ctx context.Context, journalDir string, ex Executor, o Options) (Result, error) {
	dir := filepath.Join(journalDir, journal.ReplayDir)
	res := Result{Dir: journalDir}
	rep, err := journal.Inspect(dir)
	if err != nil {
		return res, err
	}
	res.Pending = rep.Pending
	res.Remaining = rep.Pending
	if rep.Pending == 0 {
		return res, nil
	}
	seen := map[string]bool{}
	for _, t := range rep.Tables {
		if !seen[t.Cluster] {
			seen[t.Cluster] = true
			if err := ex.Healthy(ctx, t.Cluster); err != nil {
				return res, fmt.Errorf("%s is not healthy, nothing replayed: %w", t.Cluster, err)
			}
		}
	}
	r, err := journal.OpenReplay(dir)
	if err != nil {
		return res, err
	}
	defer r.Close()
	var gap time.Duration
	if o.Rate > 0 {
		gap = time.Duration(float64(time.Second) / o.Rate)
	}
	next := time.Now()
	lastProgress := time.Now()
	errLimit := errors.New("limit reached")
	err = r.Each(func(rec journal.Record) error {
		if o.Limit > 0 && res.Replayed >= o.Limit {
			return errLimit
		}
		if gap > 0 {
			if d := time.Until(next); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			next = next.Add(gap)
			if time.Until(next) < -time.Second {
				next = time.Now() // do not burst after a slow stretch
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if rec.Kind == journal.Replayable {
			if err := ex.Exec(ctx, rec); err != nil {
				err = fmt.Errorf("%s %s.%s: %w", rec.Cluster, rec.Keyspace, rec.Table, err)
				if !o.SkipRefused || !isRefused(err) {
					return err
				}
				res.Skipped++
				res.Remaining--
				if len(res.Refused) < 10 {
					res.Refused = append(res.Refused, err.Error())
				}
				return nil
			}
		}
		res.Replayed++
		res.Remaining--
		if o.Progress != nil && time.Since(lastProgress) >= time.Second {
			lastProgress = time.Now()
			o.Progress(res.Replayed, res.Pending)
		}
		return nil
	})
	if o.Progress != nil {
		o.Progress(res.Replayed, res.Pending)
	}
	if errors.Is(err, errLimit) {
		err = nil
	}
	if res.Remaining < 0 {
		res.Remaining = 0 // records appended during the replay were replayed too
	}
	if err != nil {
		res.Error = err.Error()
		return res, err
	}
	if after, ierr := journal.Inspect(dir); ierr == nil {
		res.Remaining = after.Pending
	}
	return res, nil
}
