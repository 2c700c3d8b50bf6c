package proxy_test

import (
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// A client that pipelines requests and never reads its answers is paused
// (TCP backpressure) instead of queueing without end, and its connection
// still goes away when it closes. (The memory this saves shows in
// proxy/hostile's slow reader: the proxy's peak RSS, not asserted here.)
func TestSlowReaderIsPausedAndCleanedUp(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_PROXY_MAX_STREAM_IDS=16"}})
	c := dialRaw(t, e.addr)
	c.startup()
	q := frame.New(4, 0, 0, frame.OpQuery, queryBody("SELECT * FROM ks.t WHERE k = 'x'"))
	var batch []byte
	for i := 0; i < 200_000; i++ {
		f := frame.Frame(append([]byte(nil), q...))
		f.SetStream(int16(i & 0x7fff))
		batch = append(batch, f...)
	}
	done := make(chan int)
	go func() {
		_ = c.nc.SetWriteDeadline(time.Now().Add(3 * time.Second))
		n, _ := c.nc.Write(batch)
		done <- n
	}()
	n := <-done
	t.Logf("wrote %d of %d bytes; in flight %d", n, len(batch), e.srv.Stats().InFlightRequests)
	if n == len(batch) {
		t.Fatalf("the proxy read all %d bytes of a client that reads nothing: no backpressure", n)
	}
	if in := e.srv.Stats().InFlightRequests; in > 3*1024 {
		t.Fatalf("%d requests in flight for one client that reads nothing", in)
	}
	c.nc.Close()
	waitFor(t, "the slow reader's connection to close", func() bool { return e.srv.Stats().ClientConnections == 0 })
}
