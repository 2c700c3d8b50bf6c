package zdmcmd

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
)

type fakeConn struct {
	transport.Conn
	closed atomic.Int32
	dead   atomic.Bool
}

func (f *fakeConn) Close() error { f.closed.Add(1); return nil }

func (f *fakeConn) Exec(context.Context, string, transport.ExecOptions) (transport.ExecResult, error) {
	if f.dead.Load() {
		return transport.ExecResult{}, &transport.UnreachableError{Host: "a", Err: errors.New("keepalive unanswered")}
	}
	return transport.ExecResult{}, nil
}

// One dial per host for every stage of a command; a stage's Close keeps
// it; a failed dial is tried again by the next stage; a dead connection
// is dropped and dialed again; closeAll ends each once.
func TestConnsShareOneDialPerHost(t *testing.T) {
	var dials atomic.Int32
	var made []*fakeConn
	var mu sync.Mutex
	fail := atomic.Bool{}
	c := &conns{dial: func(ctx context.Context, h *inventory.Host) (transport.Conn, error) {
		dials.Add(1)
		if fail.Load() {
			return nil, errors.New("refused")
		}
		fc := &fakeConn{}
		mu.Lock()
		made = append(made, fc)
		mu.Unlock()
		return fc, nil
	}}
	a := &inventory.Host{Name: "a"}
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 { // a stage's concurrent users wait for the one dial
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := c.get(ctx, a)
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
		}()
	}
	wg.Wait()
	if dials.Load() != 1 || made[0].closed.Load() != 0 {
		t.Fatalf("dials %d, closed %d: want one dial, kept open", dials.Load(), made[0].closed.Load())
	}

	// A dead connection is dropped (closed) and the next get dials again.
	made[0].dead.Store(true)
	conn, _ := c.get(ctx, a)
	if _, err := conn.Exec(ctx, "true", transport.ExecOptions{}); !transport.IsUnreachable(err) {
		t.Fatalf("exec on a dead conn: %v", err)
	}
	if made[0].closed.Load() != 1 {
		t.Fatal("dead connection not closed")
	}
	if _, err := c.get(ctx, a); err != nil || dials.Load() != 2 {
		t.Fatalf("after a dead conn: err %v, dials %d", err, dials.Load())
	}

	// A failed dial is not kept.
	b := &inventory.Host{Name: "b"}
	fail.Store(true)
	if _, err := c.get(ctx, b); err == nil {
		t.Fatal("failed dial returned a conn")
	}
	fail.Store(false)
	if _, err := c.get(ctx, b); err != nil || dials.Load() != 4 {
		t.Fatalf("second dial of b: err %v, dials %d", err, dials.Load())
	}

	if err := c.closeAll(); err != nil {
		t.Fatal(err)
	}
	for i, fc := range made {
		if fc.closed.Load() != 1 {
			t.Errorf("conn %d closed %d times", i, fc.closed.Load())
		}
	}
	if _, err := c.get(ctx, a); err != nil || dials.Load() != 5 {
		t.Fatalf("get after closeAll: err %v, dials %d", err, dials.Load())
	}
}
