package proxy_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/frame"
)

// noticeFleet is a fleet whose proxies also serve their peer notices on a
// common metrics port, as the metrics listener does in zdm-proxy.
type noticeFleet struct {
	*fleet
	mport int
	http  map[int]*http.Server
}

func newNoticeFleet(t *testing.T, ips ...string) *noticeFleet {
	return &noticeFleet{fleet: newFleet(t, ips...), mport: commonPort(t, ips), http: map[int]*http.Server{}}
}

func (f *noticeFleet) start(i int, extraEnv ...string) *proxy.Server {
	f.t.Helper()
	if old := f.http[i]; old != nil {
		old.Close() // restarted: the old process's admin server is gone
	}
	srv := f.fleet.start(i, append([]string{"ZDM_METRICS_PORT=" + strconv.Itoa(f.mport)}, extraEnv...)...)
	h := srv.PeerHandler()
	if h == nil {
		f.t.Fatal("no peer handler with peers configured")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(f.ips[i], strconv.Itoa(f.mport)))
	if err != nil {
		f.t.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	f.http[i] = hs
	go hs.Serve(ln)
	f.t.Cleanup(func() { hs.Close() })
	return srv
}

// expectNoEvent fails if c receives any event within d.
func expectNoEvent(t *testing.T, c *rawConn, d time.Duration) {
	t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 1)
	n, err := c.nc.Read(buf)
	var ne net.Error
	if n > 0 || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("got data (%d bytes, err %v) while expecting no event", n, err)
	}
	_ = c.nc.SetReadDeadline(time.Time{})
}

// A proxy that begins to drain is announced DOWN by its peers to their own
// registered clients (the drivers whose control connection is there),
// before it closes anything: its own clients are still served meanwhile.
// Before issue 10 only the draining proxy told its own clients.
func TestPeerAnnouncesDrainingPeerDown(t *testing.T) {
	f := newNoticeFleet(t, "127.0.0.41", "127.0.0.42")
	f.start(0)
	b := f.start(1, "ZDM_PROXY_SHUTDOWN_GRACE_MS=5000")
	waitFor(t, "b ready", func() bool { return b.Probe(proxy.Origin).Reachable && b.Probe(proxy.Target).Reachable })
	reg := dialRaw(t, f.addr(0))
	reg.startup()
	register(reg, "STATUS_CHANGE")
	onB := dialRaw(t, f.addr(1)) // a client of b, registered nowhere
	onB.startup()

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- b.Shutdown(ctx)
	}()
	change, addr := readStatusEvent(reg)
	if change != "DOWN" || addr != f.addr(1) {
		t.Fatalf("got STATUS_CHANGE %s %s, want DOWN %s", change, addr, f.addr(1))
	}
	// b is still serving its client normally (its grace runs while it has
	// clients): a query is executed, not refused.
	onB.write(frame.New(4, 0, 5, frame.OpQuery, queryBody("SELECT * FROM ks.t")))
	if r := onB.read(); r.Opcode() != frame.OpResult || r.Stream() != 5 {
		t.Fatalf("draining peer answered %s on stream %d, want RESULT on 5", frame.OpcodeName(r.Opcode()), r.Stream())
	}
	onB.nc.Close() // the client moves off: the drain ends
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("shutdown did not return")
	}
}

// UP follows readiness, not the TCP accept: a restarted peer that accepts
// connections but cannot reach a cluster is not announced UP; once it is
// ready, it is.
func TestPeerAnnouncedUpOnReadiness(t *testing.T) {
	f := newNoticeFleet(t, "127.0.0.43", "127.0.0.44")
	f.start(0)
	b := f.start(1)
	waitFor(t, "b ready", func() bool { return b.Probe(proxy.Origin).Reachable && b.Probe(proxy.Target).Reachable })
	time.Sleep(time.Second) // a's polls have seen b ready (and announced it to nobody)
	reg := dialRaw(t, f.addr(0))
	reg.startup()
	register(reg, "STATUS_CHANGE")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if change, addr := readStatusEvent(reg); change != "DOWN" || addr != f.addr(1) {
		t.Fatalf("got STATUS_CHANGE %s %s, want DOWN %s", change, addr, f.addr(1))
	}
	g := newGate(t, net.JoinHostPort(f.target.Host(), strconv.Itoa(f.target.Port())))
	g.set(false)
	f.start(1, "ZDM_TARGET_PORT="+g.port())
	// b accepts CQL connections now, but its target is unreachable.
	c := dialRaw(t, f.addr(1))
	c.nc.Close()
	expectNoEvent(t, reg, 2500*time.Millisecond)
	g.set(true)
	if change, addr := readStatusEvent(reg); change != "UP" || addr != f.addr(1) {
		t.Fatalf("got STATUS_CHANGE %s %s, want UP %s", change, addr, f.addr(1))
	}
}

// A peer that takes connections on its metrics port but never answers does
// not hold up a drain beyond the notice's bound.
func TestDrainNotBlockedByUnreachablePeer(t *testing.T) {
	f := newNoticeFleet(t, "127.0.0.45", "127.0.0.46")
	f.logs = map[int]io.Writer{0: &lockedBuffer{}}
	a := f.start(0)
	hung, err := net.Listen("tcp", net.JoinHostPort(f.ips[1], strconv.Itoa(f.mport)))
	if err != nil {
		t.Fatal(err)
	}
	defer hung.Close()
	go func() {
		for {
			c, err := hung.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	reg := dialRaw(t, f.addr(0))
	reg.startup()
	register(reg, "STATUS_CHANGE")
	reg.nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	took := time.Since(start)
	t.Logf("shutdown with a hung peer took %s", took.Round(time.Millisecond))
	if took > 10*time.Second {
		t.Fatalf("shutdown took %s with a hung peer", took)
	}
	// The hung peer did not acknowledge: it learns of the restart only by
	// its polls, so the proxy kept its listener closed for them.
	if logs := f.logs[0].(*lockedBuffer).String(); strings.Contains(logs, noLinger) || !strings.Contains(logs, `peers=0 of=1`) {
		t.Errorf("a peer did not acknowledge, yet the linger was skipped (or the notice not logged):\n%s", logs)
	}
}

// noLinger is the log line of a Shutdown that every peer acknowledged.
const noLinger = "every peer proxy acknowledged the drain: no linger"

// drainWithoutLinger starts proxies 0 and 1 of f (each with env), registers
// a client for events on proxy 0, shuts proxy 1 down and wants its drain
// acknowledged by its peer (no linger) and a DOWN for it on that client,
// which it returns.
func drainWithoutLinger(t *testing.T, f *noticeFleet, env []string) *rawConn {
	t.Helper()
	logs := &lockedBuffer{}
	f.logs = map[int]io.Writer{1: logs}
	f.start(0, env...)
	b := f.start(1, env...)
	waitFor(t, "b ready", func() bool { return b.Probe(proxy.Origin).Reachable && b.Probe(proxy.Target).Reachable })
	time.Sleep(time.Second) // a's polls have seen b ready
	reg := dialRaw(t, f.addr(0))
	reg.startup()
	register(reg, "STATUS_CHANGE")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if !strings.Contains(logs.String(), noLinger) {
		t.Fatalf("the peer did not acknowledge the drain: Shutdown lingered:\n%s", logs)
	}
	if change, addr := readStatusEvent(reg); change != "DOWN" || addr != f.addr(1) {
		t.Fatalf("got STATUS_CHANGE %s %s, want DOWN %s", change, addr, f.addr(1))
	}
	return reg
}

// When every peer acknowledged the draining notice, Shutdown does not
// linger for their polls: each peer has marked the proxy DOWN already
// and still announces it UP once the restarted proxy is ready, however
// fast the restart.
func TestNoLingerWhenEveryPeerAcknowledged(t *testing.T) {
	f := newNoticeFleet(t, "127.0.0.47", "127.0.0.48")
	reg := drainWithoutLinger(t, f, nil)
	f.start(1) // at once: the restart is faster than a's poll interval
	if change, addr := readStatusEvent(reg); change != "UP" || addr != f.addr(1) {
		t.Fatalf("got STATUS_CHANGE %s %s, want UP %s", change, addr, f.addr(1))
	}
}
