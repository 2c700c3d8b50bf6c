package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Replay walks a journal from its cursor and advances the cursor past the
// records the caller acknowledged. One Replay per directory at a time
// (flock on replay.lock); it may run while the proxy appends.
type Replay struct {
	dir  string
	lock *os.File
	cur  Pos
	// CommitEvery is how many acknowledged records may wait before the cursor
	// is written (default 100). A crash replays at most these again, which
	// the original timestamps make harmless.
	CommitEvery int
	// OnCorrupt is told about a segment with a corrupt record (optional).
	OnCorrupt func(segment string, err error)
}

// OpenReplay locks dir for replay and reads its cursor.
func OpenReplay(dir string) (*Replay, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "replay.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("journal: another replay of %s is running: %w", dir, err)
	}
	cur, err := readCursor(dir)
	if err != nil {
		lock.Close()
		return nil, err
	}
	return &Replay{dir: dir, lock: lock, cur: cur, CommitEvery: 100}, nil
}

// Cursor is the position of the next record to replay.
func (r *Replay) Cursor() Pos { return r.cur }

// errStop ends a scan from inside its callback.
var errStop = errors.New("stop")

// Each calls fn for every record from the cursor on, in order. A record is
// acknowledged when fn returns nil: the cursor moves past it (persisted every
// CommitEvery records and on return). The first error from fn stops the walk
// and is returned; that record stays pending. Fully replayed segments are
// deleted once a newer segment exists.
func (r *Replay) Each(fn func(rec Record) error) error {
	seqs, err := listSegments(r.dir)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	every := r.CommitEvery
	if every <= 0 {
		every = 1
	}
	unsaved := 0
	save := func() error {
		if unsaved == 0 {
			return nil
		}
		unsaved = 0
		return writeCursor(r.dir, r.cur)
	}
	for i, seq := range seqs {
		if seq < r.cur.Seq {
			continue // replayed; the writer or the next pass deletes it
		}
		from := int64(0)
		if seq == r.cur.Seq {
			from = r.cur.Off
		}
		var fnErr error
		res, err := scanSegment(segPath(r.dir, seq), from, func(rec Record, _, next int64) bool {
			if fnErr = fn(rec); fnErr != nil {
				return false
			}
			r.cur = Pos{Seq: seq, Off: next}
			unsaved++
			if unsaved >= every {
				if fnErr = save(); fnErr != nil {
					return false
				}
			}
			return true
		})
		if fnErr != nil {
			if serr := save(); serr != nil {
				return errors.Join(fnErr, serr)
			}
			return fnErr
		}
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // deleted under us by the writer's refresh
			}
			_ = save()
			return fmt.Errorf("journal: %w", err)
		}
		if res.corrupt != nil && r.OnCorrupt != nil {
			r.OnCorrupt(segPath(r.dir, seq), res.corrupt)
		}
		if i+1 < len(seqs) {
			// A newer segment exists, so this one is no longer written to.
			r.cur = Pos{Seq: seqs[i+1]}
			unsaved++
			if err := save(); err != nil {
				return err
			}
			p := segPath(r.dir, seq)
			if res.corrupt != nil {
				_ = os.Rename(p, p+".corrupt") // kept for a post-mortem, out of the journal
			} else {
				_ = os.Remove(p)
			}
		}
	}
	return save()
}

// Close releases the replay lock.
func (r *Replay) Close() error { return r.lock.Close() }
