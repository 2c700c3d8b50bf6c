package connbudget

import (
	"errors"
	"sync"
	"time"
)

// ErrBytesTimeout is returned by Bytes.Acquire after waiting its timeout.
var ErrBytesTimeout = errors.New("waited too long for read buffer (proxy_max_read_buffer_bytes)")

// Bytes is a byte budget shared by all client connections: growing a large
// frame acquires from it, and a reader that finds it spent waits (it stops
// reading its socket, so TCP pushes back on that client) instead of the
// proxy's memory growing. A wait longer than the timeout fails, so no
// connection waits forever behind others.
type Bytes struct {
	mu      sync.Mutex
	max     int64
	used    int64
	changed chan struct{} // closed and replaced on every Release
	timeout time.Duration
}

// NewBytes returns a budget of max bytes whose Acquire waits at most timeout.
func NewBytes(max int64, timeout time.Duration) *Bytes {
	return &Bytes{max: max, timeout: timeout, changed: make(chan struct{})}
}

// Acquire takes n more bytes for a caller already holding held, waiting
// while they are not available. A caller holding everything in use is
// served at once whatever n, so one frame within proxy_max_frame_bytes can
// always be read, even if larger than the budget.
func (b *Bytes) Acquire(n, held int) error {
	var timer *time.Timer
	for {
		b.mu.Lock()
		if b.used+int64(n) <= b.max || b.used <= int64(held) {
			b.used += int64(n)
			b.mu.Unlock()
			if timer != nil {
				timer.Stop()
			}
			return nil
		}
		ch := b.changed
		b.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(b.timeout)
		}
		select {
		case <-ch:
		case <-timer.C:
			return ErrBytesTimeout
		}
	}
}

// Release gives n bytes back and wakes the waiters.
func (b *Bytes) Release(n int) {
	b.mu.Lock()
	b.used -= int64(n)
	if b.used < 0 {
		b.used = 0
	}
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// Used is the number of bytes held now.
func (b *Bytes) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Max is the budget's size.
func (b *Bytes) Max() int64 { return b.max }
