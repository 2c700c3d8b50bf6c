package main

import (
	"sync"
	"time"
)

// logLimiter lets one log line through per interval and counts the events
// in between.
type logLimiter struct {
	mu    sync.Mutex
	last  time.Time
	count int64
	every time.Duration
}

func newLogLimiter() *logLimiter { return &logLimiter{every: 10 * time.Second} }

// allow counts an event; ok is true when it should be logged, with n the
// events since the last logged one (this one included).
func (l *logLimiter) allow() (n int64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count++
	if now := time.Now(); now.Sub(l.last) >= l.every {
		l.last, n, l.count = now, l.count, 0
		return n, true
	}
	return 0, false
}
