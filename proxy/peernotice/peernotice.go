// Package peernotice makes a proxy's drain and return known to the whole
// fleet, as Cassandra's gossip does: drivers listen for topology events on
// one control connection, to one node, so a proxy that announces only its
// own drain reaches only the drivers whose control connection it holds.
//
// Every proxy of proxy_topology_addresses runs a Notice:
//
//   - push: a proxy that begins to drain POSTs /health/peer/draining to
//     every peer's metrics listener (bounded by a short timeout: an
//     unreachable peer never delays the drain more than that) and each peer
//     sends STATUS_CHANGE DOWN for it to its own registered clients;
//   - pull: each proxy polls its peers' GET /health/peer/state every
//     PollEvery; a peer seen draining is announced DOWN (when the push was
//     lost), a peer seen ready again after being down or not ready is
//     announced UP. UP therefore follows readiness, not the TCP accept.
//
// When a peer's metrics listener cannot be reached at all (metrics_address
// bound to localhost), the Notice falls back to probing the peer's CQL
// port: UP when it accepts again after refusing.
//
// The endpoints live under /health/ on the metrics listener and expose no
// configuration: state is two booleans, and a draining notice only makes
// this proxy send DOWN for an address of its own topology list.
//
// With a Token (peer_notice_token, one secret shared by the fleet) every
// notice carries it as "Authorization: Bearer <token>" and a draining
// notice without the exact token is refused with 401 and not acted on: a
// host that reaches the metrics port cannot make this proxy announce its
// peers DOWN. GET /health/peer/state stays open, as /health/readiness
// does: it tells no more than readiness and changes nothing. A peer whose
// token differs (a rollout that changes it) refuses the notice, so the
// draining proxy counts it unacknowledged and lingers as without notices.
package peernotice

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Peer is another proxy of proxy_topology_addresses.
type Peer struct {
	CQL  string // host:port clients reach it on, as in STATUS_CHANGE events
	HTTP string // host:port of its metrics listener
}

// Options configure New.
type Options struct {
	Self  string // this proxy's CQL host:port, sent in draining notices
	Peers []Peer
	// Ready and Draining describe this proxy for its peers' polls.
	Ready    func() bool
	Draining func() bool
	// Announce sends STATUS_CHANGE change ("UP" or "DOWN") for the peer
	// at cql to this proxy's registered clients; it returns how many.
	Announce func(change, cql string) int
	// PollEvery is the pull interval (default 500 ms); Timeout bounds each
	// HTTP call and the whole push of Drain (default 500 ms).
	PollEvery time.Duration
	Timeout   time.Duration
	Logger    *slog.Logger
	// Token, when set, is sent on every draining notice and required on
	// every one received (peer_notice_token); "" accepts any notice.
	Token string
}

// refusedLogEvery bounds the log lines about refused notices: the first
// is logged at once, later ones as a count at most this often.
const refusedLogEvery = time.Minute

// State is the body of GET /health/peer/state.
type State struct {
	Ready    bool `json:"ready"`
	Draining bool `json:"draining"`
}

type phase int

const (
	unknown  phase = iota
	up             // seen ready
	notReady       // seen not ready or unreachable, clients not told
	down           // clients told DOWN
)

type peerState struct {
	phase    phase
	downAt   time.Time // last DOWN announcement: older polls cannot undo it
	httpSeen bool      // its metrics listener answered once
}

// Notice runs the peer notices of one proxy.
type Notice struct {
	o      Options
	client *http.Client
	mu     sync.Mutex
	peers  map[string]*peerState // by CQL address

	refused       atomic.Int64 // draining notices refused for their token
	refusedMu     sync.Mutex
	refusedLogged int64     // refused when last logged
	refusedLogAt  time.Time // when last logged
}

// New builds a Notice; Run starts its polls.
func New(o Options) *Notice {
	if o.PollEvery <= 0 {
		o.PollEvery = 500 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = 500 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Ready == nil {
		o.Ready = func() bool { return false }
	}
	if o.Draining == nil {
		o.Draining = func() bool { return false }
	}
	n := &Notice{o: o, peers: make(map[string]*peerState, len(o.Peers)),
		client: &http.Client{Timeout: o.Timeout, Transport: &http.Transport{
			DialContext:       (&net.Dialer{Timeout: o.Timeout}).DialContext,
			DisableKeepAlives: true,
		}}}
	for _, p := range o.Peers {
		n.peers[p.CQL] = &peerState{}
	}
	return n
}

// Handler serves GET /health/peer/state and POST /health/peer/draining.
func (n *Notice) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/peer/state", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(State{Ready: n.o.Ready(), Draining: n.o.Draining()})
	})
	mux.HandleFunc("POST /health/peer/draining", func(w http.ResponseWriter, r *http.Request) {
		peer := r.URL.Query().Get("peer")
		if !n.authorized(r) {
			n.refuse(r, peer)
			w.Header().Set("WWW-Authenticate", `Bearer realm="zdm-proxy peer notices"`)
			http.Error(w, "peer notice refused: missing or wrong peer_notice_token", http.StatusUnauthorized)
			return
		}
		told, ok := n.markDown(peer, "draining notice")
		if !ok {
			http.Error(w, "not a peer of proxy_topology_addresses", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]int{"clients_told": told})
	})
	return mux
}

// authorized: no Token is configured, or r carries exactly it.
func (n *Notice) authorized(r *http.Request) bool {
	if n.o.Token == "" {
		return true
	}
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) < len(prefix) || h[:len(prefix)] != prefix {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(h[len(prefix):]), []byte(n.o.Token)) == 1
}

// Refused is how many draining notices were refused for their token.
func (n *Notice) Refused() int64 { return n.refused.Load() }

// refuse counts a refused notice and logs a summary: the first one at
// once, then how many more at most every refusedLogEvery, never a line
// per request (whoever sends them may send many).
func (n *Notice) refuse(r *http.Request, peer string) {
	total := n.refused.Add(1)
	n.refusedMu.Lock()
	if !n.refusedLogAt.IsZero() && time.Since(n.refusedLogAt) < refusedLogEvery {
		n.refusedMu.Unlock()
		return
	}
	since := total - n.refusedLogged
	n.refusedLogged, n.refusedLogAt = total, time.Now()
	n.refusedMu.Unlock()
	n.o.Logger.Warn("refused peer draining notices without the right peer_notice_token (a peer with another token, or not a peer); not acted on",
		"refused", since, "refused_total", total, "last_from", r.RemoteAddr, "last_peer", peer,
		"next_summary_in", refusedLogEvery.String())
}

// markDown announces peer DOWN unless it already was; ok is false for an
// address that is not a peer.
func (n *Notice) markDown(peer, why string) (told int, ok bool) {
	n.mu.Lock()
	st, ok := n.peers[peer]
	if !ok {
		n.mu.Unlock()
		return 0, false
	}
	st.downAt = time.Now()
	already := st.phase == down
	st.phase = down
	n.mu.Unlock()
	if already {
		return 0, true
	}
	told = n.o.Announce("DOWN", peer)
	n.o.Logger.Info("peer proxy is draining: told clients it is down", "peer", peer, "via", why, "clients", told)
	return told, true
}

// Len is the number of peers.
func (n *Notice) Len() int { return len(n.o.Peers) }

// Drain tells every peer that this proxy is draining, concurrently, and
// returns how many acknowledged. It returns within Timeout (or ctx): an
// unreachable peer only costs that.
func (n *Notice) Drain(ctx context.Context) int {
	ctx, cancel := context.WithTimeout(ctx, n.o.Timeout)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := 0
	for _, p := range n.o.Peers {
		wg.Add(1)
		go func(p Peer) {
			defer wg.Done()
			err := n.post(ctx, p)
			if err != nil {
				n.o.Logger.Warn("could not tell a peer proxy this one is draining; it will see it on its next poll",
					"peer", p.CQL, "err", err.Error())
				return
			}
			mu.Lock()
			acked++
			mu.Unlock()
		}(p)
	}
	wg.Wait()
	return acked
}

func (n *Notice) post(ctx context.Context, p Peer) error {
	u := "http://" + p.HTTP + "/health/peer/draining?peer=" + url.QueryEscape(n.o.Self)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return err
	}
	if n.o.Token != "" {
		req.Header.Set("Authorization", "Bearer "+n.o.Token)
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: HTTP %d", u, resp.StatusCode)
	}
	return nil
}

// Run polls every peer until stop is closed.
func (n *Notice) Run(stop <-chan struct{}) {
	for _, p := range n.o.Peers {
		go n.watch(p, stop)
	}
}

func (n *Notice) watch(p Peer, stop <-chan struct{}) {
	t := time.NewTicker(n.o.PollEvery)
	defer t.Stop()
	for {
		n.poll(p)
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// seen is what one poll found.
type seen int

const (
	seenReady seen = iota
	seenDraining
	seenNotReady
)

// poll observes p once and acts on what changed.
func (n *Notice) poll(p Peer) {
	begun := time.Now()
	n.mu.Lock()
	httpSeen := n.peers[p.CQL].httpSeen
	n.mu.Unlock()
	s, httpOK := n.observe(p, httpSeen)
	n.mu.Lock()
	st := n.peers[p.CQL]
	if httpOK {
		st.httpSeen = true
	}
	var announce string
	switch s {
	case seenDraining:
		if st.phase != down {
			n.mu.Unlock()
			n.markDown(p.CQL, "poll")
			return
		}
	case seenReady:
		if begun.Before(st.downAt) {
			break // a poll older than the DOWN it would undo
		}
		if st.phase == down || st.phase == notReady {
			announce = "UP"
		}
		st.phase = up
	case seenNotReady:
		if st.phase != down {
			st.phase = notReady
		}
	}
	n.mu.Unlock()
	if announce != "" {
		told := n.o.Announce(announce, p.CQL)
		n.o.Logger.Info("peer proxy is ready again: told clients it is up", "peer", p.CQL, "clients", told)
	}
}

// observe reads p's state over HTTP; when its metrics listener has never
// answered, a refused or failed HTTP call falls back to whether its CQL
// port accepts connections.
func (n *Notice) observe(p Peer, httpSeen bool) (seen, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), n.o.Timeout)
	defer cancel()
	st, err := n.get(ctx, p)
	if err == nil {
		switch {
		case st.Draining:
			return seenDraining, true
		case st.Ready:
			return seenReady, true
		}
		return seenNotReady, true
	}
	var he httpStatusError
	if errors.As(err, &he) && int(he) == http.StatusNotFound {
		// A proxy without peer notices (an older version mid-upgrade):
		// its readiness says whether it serves.
		return n.readiness(ctx, p), true
	}
	if httpSeen || errors.As(err, &he) {
		return seenNotReady, errors.As(err, &he)
	}
	c, derr := net.DialTimeout("tcp", p.CQL, n.o.Timeout)
	if derr != nil {
		return seenNotReady, false
	}
	c.Close()
	return seenReady, false
}

// readiness reads p's /health/readiness: 200 is ready.
func (n *Notice) readiness(ctx context.Context, p Peer) seen {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.HTTP+"/health/readiness", nil)
	if err != nil {
		return seenNotReady
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return seenNotReady
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return seenReady
	}
	return seenNotReady
}

type httpStatusError int

func (e httpStatusError) Error() string { return fmt.Sprintf("HTTP %d", int(e)) }

func (n *Notice) get(ctx context.Context, p Peer) (State, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.HTTP+"/health/peer/state", nil)
	if err != nil {
		return State{}, err
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return State{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return State{}, httpStatusError(resp.StatusCode)
	}
	var st State
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&st); err != nil {
		return State{}, err
	}
	return st, nil
}
