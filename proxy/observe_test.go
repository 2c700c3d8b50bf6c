package proxy_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/datastax/go-cassandra-native-protocol/primitive"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/admin"
	"github.com/zdmctl/zdmctl/proxy/frame"
	"github.com/zdmctl/zdmctl/proxy/metrics"
)

// observed is an env whose hooks feed metrics, served like in production.
type observed struct {
	*env
	m    *metrics.Metrics
	g    prometheus.Gatherer
	http *httptest.Server
	logs *lockedBuffer // the observer's log (mismatch samples)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newObserved(t *testing.T, o envOpts) *observed {
	t.Helper()
	m := metrics.New(metrics.Options{NoRuntimeCollectors: true})
	logs := &lockedBuffer{}
	obs := proxy.NewObserver(m, slog.New(slog.NewTextHandler(logs, nil)), 1, false)
	o.hooks = obs.Hooks()
	e := newEnv(t, o)
	obs.SetCompare(e.cfg.CompareSampleRate, e.cfg.LogMismatchValues)
	e.srv.SetLogMismatchValues(e.cfg.LogMismatchValues)
	ob := &observed{env: e, m: m, g: e.srv.Gatherer(m), logs: logs}
	as := admin.New(admin.Options{Gatherer: ob.g, Health: e.srv, Status: func() admin.Status { return admin.Status{} }})
	ob.http = httptest.NewServer(as.Handler())
	t.Cleanup(ob.http.Close)
	return ob
}

// scrape returns /metrics as a map from "name{labels}" to value.
func (o *observed) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	resp, err := http.Get(o.http.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		var v float64
		if _, err := fmtSscan(line[i+1:], &v); err != nil {
			t.Fatalf("bad metrics line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func TestMetricsCountTraffic(t *testing.T) {
	o := newObserved(t, envOpts{})
	s := o.session(t, nil)
	before := o.scrape(t)
	for i := 0; i < 5; i++ {
		if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", "k", "v").Exec(); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		if err := s.Query("SELECT * FROM ks.t").Exec(); err != nil {
			t.Fatal(err)
		}
	}
	o.origin.SetHook(func(r cqltest.Received) cqltest.Action {
		if strings.Contains(r.Query, "fail") && r.Opcode != primitive.OpCodePrepare {
			return cqltest.Action{Error: errors.New("busy"), ErrorCode: cqltest.ErrCodeOverloaded}
		}
		return cqltest.Action{}
	})
	if err := s.Query("INSERT INTO ks.t (k) VALUES ('fail')").Exec(); err == nil {
		t.Fatal("expected an overloaded error")
	}
	// Hooks run just after the client got its answer: wait for the last.
	var after map[string]float64
	delta := func(k string) float64 { return after[k] - before[k] }
	waitFor(t, "the failed write in the metrics", func() bool {
		after = o.scrape(t)
		return delta(`zdm_proxy_failed_writes_total{failed_on="origin"}`) > 0
	})
	checks := map[string]float64{
		`zdm_proxy_request_duration_seconds_count{type="writes"}`:       6,
		`zdm_proxy_request_duration_seconds_count{type="reads_origin"}`: 3,
		`zdm_proxy_failed_writes_total{failed_on="origin"}`:             1,
	}
	for k, want := range checks {
		if got := delta(k); got != want {
			t.Errorf("%s grew by %v, want %v", k, got, want)
		}
	}
	ow, tw := delta(`zdm_origin_request_duration_seconds_count{type="writes"}`), delta(`zdm_target_request_duration_seconds_count{type="writes"}`)
	if ow < 6 || ow != tw {
		t.Errorf("per-cluster writes grew by %v on origin and %v on target, want the same, >= 6", ow, tw)
	}
	if or, tr := delta(`zdm_origin_request_duration_seconds_count{type="reads"}`), delta(`zdm_target_request_duration_seconds_count{type="reads"}`); or-tr < 3 {
		// PREPAREs go to both clusters (with their statement's kind); the
		// three SELECT executions only to Origin.
		t.Errorf("per-cluster reads grew by %v on origin and %v on target, want 3 more on origin", or, tr)
	}
	if got := delta(`zdm_origin_requests_failed_total{error="overloaded"}`); got != 1 {
		t.Errorf("origin overloaded failures grew by %v, want 1", got)
	}
	// An EXECUTE of an id the proxy never saw is a prepared cache miss.
	rc := dialRaw(t, o.addr)
	rc.startup()
	rc.write(frame.New(4, 0, 3, frame.OpExecute, frame.AppendShortBytes(nil, []byte("nope"))))
	if f := rc.read(); frame.ErrorCode(f) != frame.ErrCodeUnprepared {
		t.Fatalf("want UNPREPARED, got %s", frame.OpcodeName(f.Opcode()))
	}
	after = o.scrape(t)
	if got := delta("zdm_pscache_miss_total"); got != 1 {
		t.Errorf("zdm_pscache_miss_total grew by %v, want 1", got)
	}
	if got := after["zdm_pscache_entries_total"]; got < 1 || got != float64(o.srv.Stats().PreparedStatements) {
		t.Errorf("zdm_pscache_entries_total = %v, server has %d", got, o.srv.Stats().PreparedStatements)
	}
	st := o.srv.Stats()
	if got := after["zdm_client_connections_total"]; got != float64(st.ClientConnections) || got < 1 {
		t.Errorf("zdm_client_connections_total = %v, server counts %d", got, st.ClientConnections)
	}
	if got := after["zdm_origin_connections_total"]; got != float64(st.Clusters[proxy.Origin].Connections) || got < 1 {
		t.Errorf("zdm_origin_connections_total = %v, server counts %d", got, st.Clusters[proxy.Origin].Connections)
	}
}

func fmtSscan(s string, v *float64) (int, error) { return fmt.Sscan(s, v) }
