package transport

import (
	"context"
	"errors"
	"sync"

	"github.com/zdmctl/zdmctl/inventory"
)

// Pool holds one connection per host for a whole run: the first Get dials,
// concurrent and later Gets share the result (a failed dial is remembered,
// so an unreachable host is reported once, not redialed by every task).
type Pool struct {
	opts  DialOptions
	mu    sync.Mutex
	conns map[string]*poolEntry
}

type poolEntry struct {
	ready chan struct{}
	conn  Conn
	err   error
}

// NewPool returns an empty pool dialing with opts.
func NewPool(opts DialOptions) *Pool {
	return &Pool{opts: opts, conns: map[string]*poolEntry{}}
}

// Get returns h's connection, dialing it on first use.
func (p *Pool) Get(ctx context.Context, h *inventory.Host) (Conn, error) {
	p.mu.Lock()
	e, ok := p.conns[h.Name]
	if !ok {
		e = &poolEntry{ready: make(chan struct{})}
		p.conns[h.Name] = e
	}
	p.mu.Unlock()
	if !ok {
		e.conn, e.err = Dial(ctx, h, p.opts)
		close(e.ready)
	}
	select {
	case <-e.ready:
		return e.conn, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close closes every connection of the pool.
func (p *Pool) Close() error {
	p.mu.Lock()
	entries := p.conns
	p.conns = map[string]*poolEntry{}
	p.mu.Unlock()
	var errs []error
	for _, e := range entries {
		<-e.ready
		if e.conn != nil {
			errs = append(errs, e.conn.Close())
		}
	}
	return errors.Join(errs...)
}
