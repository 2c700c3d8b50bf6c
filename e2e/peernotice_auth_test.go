//go:build e2e

package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// postFrom sends an HTTP/1.0 POST from host to addr:port+path without
// credentials and returns the status line ("" when nothing answered).
func (e *zdmEnv) postFrom(host, addr, port, path string) string {
	out := e.exec(host, fmt.Sprintf(`timeout 3 bash -c 'exec 3<>/dev/tcp/%s/%s && printf "POST %s HTTP/1.0\r\nHost: x\r\nContent-Length: 0\r\n\r\n" >&3 && head -1 <&3' 2>/dev/null; true`, addr, port, path))
	return strings.TrimSpace(out)
}

// checkPeerNoticeRefused: a draining notice without the fleet's
// peer_notice_token, sent from another host of the fleet to the first
// proxy's exposed metrics port, is refused (401).
func checkPeerNoticeRefused(t *testing.T, e *zdmEnv) {
	t.Helper()
	from, to, peer := e.hosts[1].Name, e.hosts[0].Address, e.hosts[2].Address
	if got := e.postFrom(from, to, "14001", "/health/peer/draining?peer="+peer+":9042"); !strings.Contains(got, " 401") {
		t.Errorf("a draining notice without the token from %s to %s: %q, want 401", from, to, got)
	}
}

// checkPeerNoticesAcknowledged: since since, every proxy that drained
// found every peer acknowledging its notice (so zdmctl rendered one token
// for the whole fleet), and no proxy refused a notice of its peers.
func checkPeerNoticesAcknowledged(t *testing.T, e *zdmEnv, since time.Time) {
	t.Helper()
	for _, h := range e.hosts {
		cfg := e.exec(h.Name, "grep -c '^peer_notice_token:' /etc/zdm-proxy/zdm-proxy.yaml; true")
		if strings.TrimSpace(cfg) != "1" {
			t.Errorf("%s: peer_notice_token not rendered in the proxy config (grep -c: %q)", h.Name, cfg)
		}
		j := "journalctl -u zdm-proxy --no-pager -o cat --since @" + strconv.FormatInt(since.Unix(), 10)
		acked := strings.TrimSpace(e.exec(h.Name, j+" | grep -c 'every peer proxy acknowledged the drain'; true"))
		refused := strings.TrimSpace(e.exec(h.Name, j+" | grep -c 'refused peer draining notices'; true"))
		t.Logf("%s: drains every peer acknowledged: %s; refused-notice summaries: %s", h.Name, acked, refused)
		if n, _ := strconv.Atoi(acked); n == 0 {
			t.Errorf("%s: no drain that every peer acknowledged since %s", h.Name, since.Format(time.RFC3339))
		}
		if refused != "0" {
			t.Errorf("%s: refused %s summaries of peer notices from its own fleet", h.Name, refused)
		}
	}
}
