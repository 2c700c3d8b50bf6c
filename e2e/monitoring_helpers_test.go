//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/zdmctl/zdmctl/monitoring"
	"github.com/zdmctl/zdmctl/proxy/metrics"
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

// servedFromStart are the series names a proxy serves from its start: its
// registry before any request, with the journal registered as zdm-proxy
// does. Counters born at their first event (a table's first async read
// mismatch or missed secondary write, an error code) are not in it.
func servedFromStart(t *testing.T) map[string]bool {
	t.Helper()
	m := metrics.New(metrics.Options{})
	m.RegisterJournal(func() metrics.JournalValues { return metrics.JournalValues{} })
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, f := range fams {
		n := f.GetName()
		out[n] = true
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			out[n+"_bucket"], out[n+"_count"], out[n+"_sum"] = true, true, true
		case dto.MetricType_SUMMARY:
			out[n+"_count"], out[n+"_sum"] = true, true
		}
	}
	return out
}

// scrapedNames are the series names Prometheus holds for job.
func scrapedNames(t *testing.T, prom, job string) map[string]bool {
	t.Helper()
	body := promGet(t, prom, "/api/v1/label/__name__/values?match[]="+url.QueryEscape(`{job="`+job+`"}`))
	var doc struct {
		Status string   `json:"status"`
		Data   []string `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.Status != "success" {
		t.Fatalf("metric names of job %s: %v %.300s", job, err, body)
	}
	out := map[string]bool{}
	for _, n := range doc.Data {
		out[n] = true
	}
	return out
}
