//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zdmctl/zdmctl/internal/testcluster"
)

// loginProbe opens new client connections while it runs: every interval a
// fresh gocql session (Target's credentials, as the writers use) through
// each proxy in turn, one write with a fresh negative key, then Close. It
// stands for a driver growing its pool or reconnecting during an outage.
type loginProbe struct {
	ok, failed atomic.Int64
	lastErr    atomic.Value
	acked      sync.Map // k -> v
	stopc      chan struct{}
	done       chan struct{}
}

func startLoginProbe(ctx context.Context, addrs []string, target testcluster.Endpoint, ins string, interval time.Duration) *loginProbe {
	p := &loginProbe{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for i := 0; ; i++ {
			select {
			case <-p.stopc:
				return
			case <-ctx.Done():
				return
			default:
			}
			k, v := -1000-i, fmt.Sprintf("login-%d", i)
			s, err := newSession(addrs[i%len(addrs)], target)
			if err == nil {
				err = s.Query(ins, k, v).WithContext(ctx).Exec()
				s.Close()
			}
			if err != nil {
				p.failed.Add(1)
				p.lastErr.Store(fmt.Sprintf("session %d through %s: %v", i, addrs[i%len(addrs)], err))
			} else {
				p.ok.Add(1)
				p.acked.Store(k, v)
			}
			select {
			case <-p.stopc:
				return
			case <-time.After(interval):
			}
		}
	}()
	return p
}

// stop ends the probe and returns the rows it wrote.
func (p *loginProbe) stop() map[int]string {
	close(p.stopc)
	<-p.done
	out := map[int]string{}
	p.acked.Range(func(k, v any) bool { out[k.(int)] = v.(string); return true })
	return out
}
