//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/monitoring"
)

// webhookAlert is one alert of an Alertmanager webhook notification.
type webhookAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// webhook is an Alertmanager webhook receiver on this machine, reachable
// from the fleet's hosts at the bridge address.
type webhook struct {
	url    string
	mu     sync.Mutex
	alerts []webhookAlert
}

func startWebhook(t *testing.T, bridge string) *webhook {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(bridge, "0"))
	if err != nil {
		t.Fatal(err)
	}
	w := &webhook{url: "http://" + ln.Addr().String() + "/alerts"}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var msg struct {
			Alerts []webhookAlert `json:"alerts"`
		}
		if r.Method != http.MethodPost || json.Unmarshal(body, &msg) != nil {
			http.Error(rw, "want an Alertmanager webhook POST", http.StatusBadRequest)
			return
		}
		w.mu.Lock()
		w.alerts = append(w.alerts, msg.Alerts...)
		w.mu.Unlock()
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return w
}

func (w *webhook) find(name, instance, status string) (webhookAlert, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, a := range w.alerts {
		if a.Labels["alertname"] == name && a.Labels["instance"] == instance && a.Status == status {
			return a, true
		}
	}
	return webhookAlert{}, false
}

func (w *webhook) dump() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, a := range w.alerts {
		fmt.Fprintf(&b, "%s %v\n", a.Status, a.Labels)
	}
	return b.String()
}

type panelQuery struct{ panel, expr string }

// dashboardQueries are the PromQL queries of every panel of the embedded
// dashboards.
func dashboardQueries(t *testing.T) []panelQuery {
	t.Helper()
	type panel struct {
		Title   string            `json:"title"`
		Panels  []json.RawMessage `json:"panels"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	}
	var out []panelQuery
	var walk func(file string, raws []json.RawMessage)
	walk = func(file string, raws []json.RawMessage) {
		for _, raw := range raws {
			var p panel
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatal(err)
			}
			for _, tg := range p.Targets {
				out = append(out, panelQuery{file + ": " + p.Title, tg.Expr})
			}
			walk(file, p.Panels)
		}
	}
	for file, raw := range monitoring.Dashboards() {
		var d struct {
			Panels []json.RawMessage `json:"panels"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		walk(file, d.Panels)
	}
	if len(out) < 40 {
		t.Fatalf("only %d panel queries", len(out))
	}
	return out
}
