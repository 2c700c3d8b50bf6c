package transport

import (
	"context"
	"sync"
	"testing"
)

func TestPoolOneConnectionPerHost(t *testing.T) {
	e := newEnv(t)
	p := NewPool(e.opts)
	defer p.Close()
	var wg sync.WaitGroup
	conns := make([]Conn, 10)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := p.Get(context.Background(), e.host())
			if err != nil {
				t.Error(err)
				return
			}
			conns[i] = c
			mustRun(t, c, "true")
		}()
	}
	wg.Wait()
	for _, c := range conns[1:] {
		if c != conns[0] {
			t.Fatal("different connections for one host")
		}
	}
	if n := e.srv.conns.Load(); n != 1 {
		t.Fatalf("%d connections", n)
	}
	h := e.host()
	h.Name, h.Port = "dead", 1
	_, err1 := p.Get(context.Background(), h)
	_, err2 := p.Get(context.Background(), h)
	if !IsUnreachable(err1) || err1 != err2 {
		t.Fatalf("errs %v / %v", err1, err2)
	}
}
