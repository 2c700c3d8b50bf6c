package connbudget

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Summary logs repeated events as one line per interval with a count: the
// first event of a quiet period is logged at once, later ones are counted
// and logged together when the interval has passed (a timer makes sure the
// last batch is not held back until the next event).
type Summary struct {
	log      *slog.Logger
	level    slog.Level
	msg      string
	interval time.Duration

	mu      sync.Mutex
	last    time.Time
	pending int64
	timer   *time.Timer
	attrs   []any
	done    <-chan struct{}
}

// Until makes s silent once done is closed (its owner shut down): nothing
// is logged after, not even a pending batch.
func (s *Summary) Until(done <-chan struct{}) *Summary {
	s.done = done
	return s
}

func (s *Summary) stopped() bool {
	if s.done == nil {
		return false
	}
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// NewSummary logs msg at WARN level through log, at most once per interval.
func NewSummary(log *slog.Logger, msg string, interval time.Duration) *Summary {
	return &Summary{log: log, level: slog.LevelWarn, msg: msg, interval: interval}
}

// NewSummaryAt is NewSummary at another level.
func NewSummaryAt(log *slog.Logger, level slog.Level, msg string, interval time.Duration) *Summary {
	return &Summary{log: log, level: level, msg: msg, interval: interval}
}

// Add counts one event; attrs (key, value pairs) of the latest event are
// logged with the count.
func (s *Summary) Add(attrs ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending++
	s.attrs = attrs
	if s.stopped() {
		return
	}
	now := time.Now()
	if wait := s.interval - now.Sub(s.last); wait > 0 {
		if s.timer == nil {
			s.timer = time.AfterFunc(wait, s.flush)
		}
		return
	}
	s.emitLocked(now)
}

func (s *Summary) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timer = nil
	if s.pending > 0 && !s.stopped() {
		s.emitLocked(time.Now())
	}
}

func (s *Summary) emitLocked(now time.Time) {
	args := append([]any{"count", s.pending}, s.attrs...)
	s.pending = 0
	s.last = now
	s.log.Log(context.Background(), s.level, s.msg, args...)
}
