package journal

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrFull is returned by Append when the journal reached its bound.
var ErrFull = errors.New("journal: full (journal_max_bytes reached)")

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("journal: closed")

// Options tune a journal; zero values take the defaults.
type Options struct {
	MaxBytes     int64         // bound on segment files plus queued records (default 1 GiB)
	SegmentBytes int64         // a segment is closed and a new one started past this size (default 16 MiB)
	Refresh      time.Duration // how often the writer re-reads the replay cursor (default 5 s)
	Logger       *slog.Logger
	// Usage, when set, is shared by journals that split one MaxBytes (Set):
	// the bytes on disk of all of them.
	Usage *atomic.Int64
}

func (o *Options) defaults() {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 1 << 30
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 16 << 20
	}
	if o.Refresh <= 0 {
		o.Refresh = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Usage == nil {
		o.Usage = new(atomic.Int64)
	}
}

// Stats are a journal's counters.
type Stats struct {
	Pending         int64 // records not yet replayed (or, in a needs-repair journal, not yet cleared)
	Bytes           int64 // bytes of segment files on disk
	Appended        int64 // records made durable since Open
	Dropped         int64 // records refused since Open: full, too big, or a disk error
	Batches         int64 // fsynced batches since Open
	CorruptSegments int64 // segments found with a corrupt record at Open
}

type segInfo struct {
	records int64
	size    int64
}

// Journal is the writer side, owned by one proxy process.
type Journal struct {
	dir  string
	opts Options
	lock *os.File // flock on writer.lock: one writer per directory

	mu       sync.Mutex
	cond     *sync.Cond // signalled when a batch commits or the queue fills
	buf      []byte     // framed records waiting for the committer
	bufN     int64
	queued   uint64 // records queued since Open
	durable  uint64 // records whose batch was written (and fsynced, or failed)
	closed   bool
	segs     map[uint64]*segInfo
	active   *os.File
	seq      uint64
	cursor   Pos
	pending  int64
	diskUsed int64
	writing  bool  // the committer is writing to the active segment
	writingN int64 // bytes of the batch being written

	appended, dropped, batches, corrupt atomic.Int64
	lastFullLog                         atomic.Int64
	done                                chan struct{}
	stopRefresh                         chan struct{}
}

// Open opens (creating it if needed) the journal in dir, checks it is
// writable, reads the existing segments (a corrupt one is logged, counted and
// its good records kept) and starts a new segment.
func Open(dir string, opts Options) (*Journal, error) {
	opts.defaults()
	if dir == "" {
		return nil, errors.New("journal: no directory")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "writer.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %s is not writable: %w", dir, err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("journal: %s is in use by another process: %w", dir, err)
	}
	j := &Journal{dir: dir, opts: opts, lock: lock, segs: map[uint64]*segInfo{}, done: make(chan struct{}), stopRefresh: make(chan struct{})}
	j.cond = sync.NewCond(&j.mu)
	if err := j.load(); err != nil {
		lock.Close()
		return nil, err
	}
	if err := j.startSegment(); err != nil {
		lock.Close()
		return nil, err
	}
	go j.commitLoop()
	go j.refreshLoop()
	return j, nil
}

func (j *Journal) addDisk(n int64) {
	j.diskUsed += n
	j.opts.Usage.Add(n)
}

// Dir is the journal's directory.
func (j *Journal) Dir() string { return j.dir }

func (j *Journal) load() error {
	seqs, err := listSegments(j.dir)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	cur, err := readCursor(j.dir)
	if err != nil {
		j.opts.Logger.Error("journal cursor unreadable; replay starts from the oldest record", "dir", j.dir, "err", err)
		cur = Pos{}
	}
	j.cursor = cur
	for _, seq := range seqs {
		p := segPath(j.dir, seq)
		res, err := scanSegment(p, 0, nil)
		if err != nil {
			j.corrupt.Add(1)
			j.opts.Logger.Error("journal segment unreadable; skipped", "segment", p, "err", err)
			continue
		}
		if res.corrupt != nil {
			j.corrupt.Add(1)
			j.opts.Logger.Error("journal segment corrupt; records after the bad one are skipped", "segment", p, "good_records", res.records, "err", res.corrupt)
		} else if res.torn {
			j.opts.Logger.Warn("journal segment ends in a torn record (a crash mid-append); it is ignored", "segment", p, "good_records", res.records)
		}
		var size int64
		if fi, err := os.Stat(p); err == nil {
			size = fi.Size()
		}
		j.segs[seq] = &segInfo{records: int64(res.records), size: size}
		j.addDisk(size)
		if seq >= j.seq {
			j.seq = seq
		}
	}
	j.pending = j.countPending()
	return nil
}

// countPending counts records at or after the cursor. Called with j.mu held
// (or before the journal is shared).
func (j *Journal) countPending() int64 {
	var n int64
	for seq, si := range j.segs {
		switch {
		case seq > j.cursor.Seq:
			n += si.records
		case seq == j.cursor.Seq:
			before := int64(0)
			if j.cursor.Off > 0 {
				res, err := scanSegment(segPath(j.dir, seq), 0, func(_ Record, _, next int64) bool { return next < j.cursor.Off })
				if err == nil {
					before = int64(res.records)
				}
			}
			if si.records > before {
				n += si.records - before
			}
		}
	}
	return n
}

// startSegment closes the active segment and creates the next one. Called
// with j.mu held (or before the journal is shared).
func (j *Journal) startSegment() error {
	if j.active != nil {
		_ = j.active.Close()
		j.active = nil
	}
	seq := j.seq + 1
	p := segPath(j.dir, seq)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("journal: %s is not writable: %w", j.dir, err)
	}
	if _, err := f.Write(segMagic); err != nil {
		f.Close()
		_ = os.Remove(p)
		return fmt.Errorf("journal: %s is not writable: %w", j.dir, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		_ = os.Remove(p)
		return fmt.Errorf("journal: %s: fsync: %w", j.dir, err)
	}
	_ = syncDir(j.dir)
	j.seq, j.active = seq, f
	j.segs[seq] = &segInfo{size: int64(len(segMagic))}
	j.addDisk(int64(len(segMagic)))
	return nil
}

// Append queues r; the committer makes it durable with the next batch. It
// never blocks on the disk. When the journal is full the record is dropped,
// counted and ErrFull returned (logged at most every 10 s).
func (j *Journal) Append(r *Record) error {
	if r.At == 0 {
		r.At = time.Now().UnixNano()
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		j.dropped.Add(1)
		return ErrClosed
	}
	start := len(j.buf)
	b, err := frameRecord(j.buf, r)
	if err != nil {
		j.buf = b
		j.dropped.Add(1)
		return err
	}
	n := int64(len(b) - start)
	if j.opts.Usage.Load()+j.writingN+j.bufN+n > j.opts.MaxBytes {
		j.buf = b[:start]
		j.dropped.Add(1)
		j.logFull()
		return ErrFull
	}
	j.buf = b
	j.bufN += n
	j.queued++
	j.cond.Broadcast()
	return nil
}

func (j *Journal) logFull() {
	now := time.Now().UnixNano()
	last := j.lastFullLog.Load()
	if now-last < int64(10*time.Second) || !j.lastFullLog.CompareAndSwap(last, now) {
		return
	}
	j.opts.Logger.Error("journal full: missed writes are being dropped; the affected tables will need a full copy",
		"dir", j.dir, "journal_max_bytes", j.opts.MaxBytes, "dropped_total", j.dropped.Load())
}

// Flush waits until every record queued before the call is on disk (or its
// batch failed, which Stats.Dropped counts).
func (j *Journal) Flush() {
	j.mu.Lock()
	want := j.queued
	for j.durable < want && !j.closedAndIdle() {
		j.cond.Wait()
	}
	j.mu.Unlock()
}

func (j *Journal) closedAndIdle() bool { return j.closed && j.bufN == 0 && j.durable == j.queued }

func (j *Journal) commitLoop() {
	defer close(j.done)
	var spare []byte
	for {
		j.mu.Lock()
		for j.bufN == 0 && !j.closed {
			j.cond.Wait()
		}
		if j.bufN == 0 && j.closed {
			j.mu.Unlock()
			return
		}
		batch, n, upTo := j.buf, j.bufN, j.queued
		count := int64(upTo - j.durable)
		j.buf, j.bufN = spare[:0], 0
		if j.segs[j.seq].size+n > j.opts.SegmentBytes && j.segs[j.seq].records > 0 {
			if err := j.startSegment(); err != nil {
				j.opts.Logger.Error("journal: cannot start a new segment", "err", err)
			}
		}
		f, seq := j.active, j.seq
		j.writing, j.writingN = true, n
		j.mu.Unlock()

		err := j.writeBatch(f, seq, batch)

		j.mu.Lock()
		si := j.segs[seq]
		if err != nil {
			j.dropped.Add(count)
			j.opts.Logger.Error("journal write failed; the batch is dropped", "dir", j.dir, "records", count, "err", err)
			// Never append after a partial write: cut the segment back, or
			// move on to a new one.
			if terr := f.Truncate(si.size); terr != nil {
				_ = j.startSegment()
			}
		} else {
			si.size += n
			si.records += count
			j.addDisk(n)
			j.pending += count
			j.appended.Add(count)
			j.batches.Add(1)
		}
		j.durable = upTo
		j.writing, j.writingN = false, 0
		spare = batch
		j.cond.Broadcast()
		j.mu.Unlock()
	}
}

func (j *Journal) writeBatch(f *os.File, _ uint64, batch []byte) error {
	if f == nil {
		return errors.New("no active segment")
	}
	if _, err := f.Write(batch); err != nil {
		return err
	}
	return f.Sync()
}

func (j *Journal) refreshLoop() {
	t := time.NewTicker(j.opts.Refresh)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			j.Refresh()
		case <-j.stopRefresh:
			return
		}
	}
}

// Refresh re-reads the replay cursor, deletes fully replayed segments and
// recomputes the pending count.
func (j *Journal) Refresh() {
	cur, err := readCursor(j.dir)
	if err != nil {
		j.opts.Logger.Warn("journal cursor unreadable", "dir", j.dir, "err", err)
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.cursor = cur
	for seq, si := range j.segs {
		if seq < cur.Seq && seq != j.seq {
			if err := os.Remove(segPath(j.dir, seq)); err == nil || errors.Is(err, os.ErrNotExist) {
				j.addDisk(-si.size)
				delete(j.segs, seq)
			}
		}
	}
	j.pending = j.countPending()
	// Everything replayed, including the active segment: start a new one so
	// the old one's bytes can be freed.
	if act := j.segs[j.seq]; j.pending == 0 && act != nil && act.records > 0 && !j.writing && !j.closed {
		old := j.seq
		if err := j.startSegment(); err == nil {
			if err := os.Remove(segPath(j.dir, old)); err == nil || errors.Is(err, os.ErrNotExist) {
				j.addDisk(-act.size)
				delete(j.segs, old)
			}
		}
	}
}

// Stats returns the journal's counters.
func (j *Journal) Stats() Stats {
	j.mu.Lock()
	s := Stats{Pending: j.pending, Bytes: j.diskUsed}
	j.mu.Unlock()
	s.Appended, s.Dropped, s.Batches, s.CorruptSegments = j.appended.Load(), j.dropped.Load(), j.batches.Load(), j.corrupt.Load()
	return s
}

// Close flushes what is queued and closes the journal.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.cond.Broadcast()
	j.mu.Unlock()
	<-j.done
	close(j.stopRefresh)
	j.mu.Lock()
	var err error
	if j.active != nil {
		err = j.active.Close()
		j.active = nil
	}
	j.mu.Unlock()
	_ = j.lock.Close()
	return err
}
