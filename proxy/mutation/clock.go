package mutation

import (
	"sync/atomic"
	"time"
)

// Clock hands out client timestamps (microseconds since the epoch) that
// strictly increase within the process, as drivers' timestamp generators do,
// so two writes of one client never share a timestamp.
type Clock struct{ last atomic.Int64 }

// Next returns the next timestamp.
func (c *Clock) Next() int64 {
	now := time.Now().UnixMicro()
	for {
		l := c.last.Load()
		n := now
		if n <= l {
			n = l + 1
		}
		if c.last.CompareAndSwap(l, n) {
			return n
		}
	}
}
