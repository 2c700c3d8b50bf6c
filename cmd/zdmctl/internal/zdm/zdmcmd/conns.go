package zdmcmd

import (
	"context"
	"errors"
	"sync"

	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
)

// conns keeps one connection per host for the stages of one command: the
// probe before a rollout, the check-mode pass that finds unchanged hosts,
// the run itself and the clients-back waits all use it, instead of one
// SSH handshake per host per stage (a no-op deploy of 30 hosts did four).
// A failed dial is not kept: callers waiting on it get its error, and the
// next stage dials again, as before.
type conns struct {
	dial runner.DialFunc
	mu   sync.Mutex
	m    map[string]*connEntry
}

type connEntry struct {
	ready chan struct{}
	conn  transport.Conn
	err   error
}

// keptConn is a shared connection whose Close is a no-op: the stage that
// got it is done with it, the command is not. conns.closeAll ends it. A
// command that finds the connection gone (transport.IsUnreachable: the
// host went away, keepalives unanswered) drops it, so the next stage
// dials again instead of failing on a dead connection.
type keptConn struct {
	transport.Conn
	c     *conns
	entry *connEntry
	host  string
}

func (keptConn) Close() error { return nil }

func (k keptConn) Exec(ctx context.Context, cmd string, opts transport.ExecOptions) (transport.ExecResult, error) {
	res, err := k.Conn.Exec(ctx, cmd, opts)
	if err != nil && transport.IsUnreachable(err) {
		k.c.drop(k.host, k.entry)
	}
	return res, err
}

// drop forgets host's connection if it is still e, and closes it.
func (c *conns) drop(host string, e *connEntry) {
	c.mu.Lock()
	cur, ok := c.m[host]
	if ok && cur == e {
		delete(c.m, host)
	}
	c.mu.Unlock()
	if ok && cur == e {
		e.conn.Close()
	}
}

func (c *conns) get(ctx context.Context, h *inventory.Host) (transport.Conn, error) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*connEntry{}
	}
	e, ok := c.m[h.Name]
	if !ok {
		e = &connEntry{ready: make(chan struct{})}
		c.m[h.Name] = e
	}
	c.mu.Unlock()
	if !ok {
		e.conn, e.err = c.dial(ctx, h)
		if e.err != nil {
			c.mu.Lock()
			delete(c.m, h.Name)
			c.mu.Unlock()
		}
		close(e.ready)
	}
	select {
	case <-e.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if e.err != nil {
		return nil, e.err
	}
	return keptConn{Conn: e.conn, c: c, entry: e, host: h.Name}, nil
}

// closeAll ends every kept connection; a later get dials again.
func (c *conns) closeAll() error {
	c.mu.Lock()
	m := c.m
	c.m = nil
	c.mu.Unlock()
	var errs []error
	for _, e := range m {
		<-e.ready
		if e.conn != nil {
			errs = append(errs, e.conn.Close())
		}
	}
	return errors.Join(errs...)
}
