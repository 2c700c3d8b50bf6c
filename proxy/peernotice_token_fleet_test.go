package proxy_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/proxy"
)

// With one peer_notice_token on the whole fleet, a drain is acknowledged
// by every peer (no linger) and announced DOWN by them, as without one.
func TestSameTokenNoticeAcknowledged(t *testing.T) {
	f := newNoticeFleet(t, "127.0.0.51", "127.0.0.52")
	drainWithoutLinger(t, f, []string{"ZDM_PEER_NOTICE_TOKEN=fleet-token-1"})
}

// Mid-rollout of a new token, the peers refuse each other's notices: the
// drain is not blocked, it falls back to the linger, and the peer still
// learns of the drain by its (open) state poll and announces UP on
// readiness after the restart. The refusing proxy logs a summary.
func TestDifferentTokensFallBackToLinger(t *testing.T) {
	f := newNoticeFleet(t, "127.0.0.53", "127.0.0.54")
	alogs, blogs := &lockedBuffer{}, &lockedBuffer{}
	f.logs = map[int]io.Writer{0: alogs, 1: blogs}
	f.start(0, "ZDM_PEER_NOTICE_TOKEN=old-token")
	b := f.start(1, "ZDM_PEER_NOTICE_TOKEN=new-token")
	waitFor(t, "b ready", func() bool { return b.Probe(proxy.Origin).Reachable && b.Probe(proxy.Target).Reachable })
	time.Sleep(time.Second)
	reg := dialRaw(t, f.addr(0))
	reg.startup()
	register(reg, "STATUS_CHANGE")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if strings.Contains(blogs.String(), noLinger) || !strings.Contains(blogs.String(), "could not tell a peer proxy") {
		t.Fatalf("a refused notice counted as acknowledged:\n%s", blogs)
	}
	if !strings.Contains(alogs.String(), "refused peer draining notices") || strings.Contains(alogs.String(), "new-token") {
		t.Fatalf("a's log of the refusal:\n%s", alogs)
	}
	if change, addr := readStatusEvent(reg); change != "DOWN" || addr != f.addr(1) {
		t.Fatalf("got STATUS_CHANGE %s %s, want DOWN %s (by poll)", change, addr, f.addr(1))
	}
	f.start(1, "ZDM_PEER_NOTICE_TOKEN=new-token")
	if change, addr := readStatusEvent(reg); change != "UP" || addr != f.addr(1) {
		t.Fatalf("got STATUS_CHANGE %s %s, want UP %s", change, addr, f.addr(1))
	}
}
