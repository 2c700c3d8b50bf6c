package peernotice

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func postDraining(t *testing.T, url, auth string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/health/peer/draining?peer=10.0.0.2:9042", nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// With a token, a draining notice without exactly it is refused and the
// peer is NOT announced DOWN; the state poll stays open; refusals are
// logged as a summary, not a line each, and never show the token.
func TestDrainingNoticeNeedsToken(t *testing.T) {
	var ev events
	var logs bytes.Buffer
	n := New(Options{Self: "10.0.0.1:9042", Peers: []Peer{{CQL: "10.0.0.2:9042", HTTP: "10.0.0.2:14001"}},
		Announce: ev.announce, Token: "s3cret-fleet-token", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()
	for _, auth := range []string{"", "Bearer wrong", "Bearer s3cret-fleet-token2", "Bearer s3cret-fleet-toke", "s3cret-fleet-token", "Basic s3cret-fleet-token"} {
		if code := postDraining(t, srv.URL, auth); code != http.StatusUnauthorized {
			t.Fatalf("Authorization %q: HTTP %d, want 401", auth, code)
		}
	}
	if got := ev.list(); got != "" {
		t.Fatalf("refused notices announced %q", got)
	}
	if n.Refused() != 6 {
		t.Fatalf("Refused() = %d, want 6", n.Refused())
	}
	if c := strings.Count(logs.String(), "refused peer draining notices"); c != 1 {
		t.Fatalf("%d log lines for 6 refusals, want 1 summary:\n%s", c, logs.String())
	}
	if strings.Contains(logs.String(), "s3cret") {
		t.Fatalf("token in logs:\n%s", logs.String())
	}
	resp, err := http.Get(srv.URL + "/health/peer/state")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET state without token: HTTP %d, want 200", resp.StatusCode)
	}
	if code := postDraining(t, srv.URL, "Bearer s3cret-fleet-token"); code != http.StatusOK {
		t.Fatalf("right token: HTTP %d", code)
	}
	if got := ev.list(); got != "DOWN 10.0.0.2:9042" {
		t.Fatalf("announced %q, want one DOWN", got)
	}
}

// Drain sends the token: a peer with the same token acknowledges, a peer
// with another token (a rollout changing it) or requiring one when this
// proxy has none refuses, which Drain counts unacknowledged (the caller
// then lingers as without notices), never an error that blocks it.
func TestDrainSendsToken(t *testing.T) {
	recv := func(token string) (*events, *httptest.Server) {
		ev := &events{}
		n := New(Options{Peers: []Peer{{CQL: "10.0.0.1:9042"}}, Announce: ev.announce, Token: token})
		s := httptest.NewServer(n.Handler())
		t.Cleanup(s.Close)
		return ev, s
	}
	same, sSame := recv("tok-A")
	other, sOther := recv("tok-B")
	open, sOpen := recv("")
	peers := []Peer{{CQL: "10.0.0.2:9042", HTTP: strings.TrimPrefix(sSame.URL, "http://")},
		{CQL: "10.0.0.3:9042", HTTP: strings.TrimPrefix(sOther.URL, "http://")},
		{CQL: "10.0.0.4:9042", HTTP: strings.TrimPrefix(sOpen.URL, "http://")}}
	n := New(Options{Self: "10.0.0.1:9042", Peers: peers, Token: "tok-A"})
	if acked := n.Drain(context.Background()); acked != 2 {
		t.Fatalf("acked %d, want 2 (same token, and the peer without one)", acked)
	}
	if same.list() != "DOWN 10.0.0.1:9042" || other.list() != "" || open.list() != "DOWN 10.0.0.1:9042" {
		t.Fatalf("same %q, other %q, open %q", same.list(), other.list(), open.list())
	}
	// Without a token of its own, a proxy is refused by a peer that has one.
	plain := New(Options{Self: "10.0.0.1:9042", Peers: peers[:1]})
	same2, sSame2 := recv("tok-A")
	plain.o.Peers[0].HTTP = strings.TrimPrefix(sSame2.URL, "http://")
	if acked := plain.Drain(context.Background()); acked != 0 || same2.list() != "" {
		t.Fatalf("tokenless notice: acked %d, announced %q", acked, same2.list())
	}
}
