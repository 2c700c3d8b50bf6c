package monitoring

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/datastax/go-cassandra-native-protocol/primitive"
	dto "github.com/prometheus/client_model/go"
	"github.com/zdmctl/zdmctl/proxy/metrics"
)

var jobOf = regexp.MustCompile(`job="([^"]+)"`)

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`histogram_quantile(0.99, sum by (le, type) (rate(zdm_proxy_request_duration_seconds_bucket{job="zdm-proxy", instance=~"$instance"}[$__rate_interval])))`: {"zdm_proxy_request_duration_seconds_bucket"},
		`sum(up{job="zdm-proxy"}) / count(up) * 100 > bool 1e3`:                          {"up"},
		`zdm_a_total + on (instance) group_left (x) zdm_b_total offset 5m`:               {"zdm_a_total", "zdm_b_total"},
		`sum without (error) (rate(zdm_origin_requests_failed_total{error!="a,b"}[5m]))`: {"zdm_origin_requests_failed_total"},
	} {
		if got := MetricNames(expr); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", expr, got, want)
		}
	}
}

// exported is every metric family the proxy registers, with every label
// child touched so that vectors without pre-created children appear too.
func exported(t *testing.T) map[string]dto.MetricType {
	m := metrics.New(metrics.Options{})
	m.AsyncReadMismatch("ks", "tbl")
	m.SecondaryWriteFailure(metrics.Target, "ks", "tbl", "timeout")
	m.RegisterJournal(func() metrics.JournalValues { return metrics.JournalValues{} })
	m.ErrorCode(metrics.Origin, primitive.ErrorCodeOverloaded)
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]dto.MetricType{}
	for _, f := range fams {
		out[f.GetName()] = f.GetType()
	}
	return out
}

// known reports whether name is an exported series: a family, or a
// histogram/summary family's _bucket, _count or _sum series.
func known(fams map[string]dto.MetricType, name string) bool {
	if _, ok := fams[name]; ok || name == "up" { // up: Prometheus' own per-target series
		return true
	}
	for _, suf := range []string{"_bucket", "_count", "_sum"} {
		typ, ok := fams[strings.TrimSuffix(name, suf)]
		if strings.HasSuffix(name, suf) && ok && (typ == dto.MetricType_HISTOGRAM || typ == dto.MetricType_SUMMARY && suf != "_bucket") {
			return true
		}
	}
	return false
}

type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource json.RawMessage `json:"datasource"`
	Panels     []panel         `json:"panels"`
	Targets    []struct {
		Expr       string          `json:"expr"`
		Datasource json.RawMessage `json:"datasource"`
	} `json:"targets"`
}

func flatten(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, flatten(p.Panels)...)
	}
	return out
}

// TestDashboardsUseExportedMetrics keeps the dashboards from rotting: every
// metric a panel queries must be one proxy/metrics exports.
func TestDashboardsUseExportedMetrics(t *testing.T) {
	fams := exported(t)
	dbs := Dashboards()
	if len(dbs) == 0 {
		t.Fatal("no dashboards embedded")
	}
	used := map[string]bool{}
	for file, raw := range dbs {
		var d dashboard
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: no uid or title", file)
		}
		vars := map[string]string{}
		job := ""
		for _, v := range d.Templating.List {
			vars[v.Name] = v.Type
			if m := jobOf.FindStringSubmatch(v.Definition); v.Name == "instance" && m != nil {
				job = m[1]
			}
		}
		if job != Job && job != NodeJob {
			t.Errorf("%s: no instance variable over job %s or %s", file, Job, NodeJob)
		}
		if vars["datasource"] != "datasource" {
			t.Errorf("%s: no datasource variable (an existing Grafana picks its own Prometheus with it)", file)
		}
		ids := map[int]bool{}
		for _, p := range flatten(d.Panels) {
			if ids[p.ID] {
				t.Errorf("%s: panel id %d twice", file, p.ID)
			}
			ids[p.ID] = true
			if p.Type == "row" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", file, p.Title)
			}
			if !strings.Contains(string(p.Datasource), "${datasource}") {
				t.Errorf("%s: panel %q does not use the datasource variable: %s", file, p.Title, p.Datasource)
			}
			for _, tg := range p.Targets {
				names := MetricNames(tg.Expr)
				if len(names) == 0 {
					t.Errorf("%s: panel %q: no metric in %q", file, p.Title, tg.Expr)
				}
				if !strings.Contains(tg.Expr, `job="`+job+`"`) {
					t.Errorf("%s: panel %q: query not limited to job %s: %q", file, p.Title, job, tg.Expr)
				}
				for _, n := range names {
					used[n] = true
					if job == NodeJob && (strings.HasPrefix(n, "node_") || n == "zdm_proxy_ready") {
						continue // TestNodeExporterMetrics
					}
					if !known(fams, n) {
						t.Errorf("%s: panel %q queries %s, which the proxy does not export (proxy/metrics)", file, p.Title, n)
					}
				}
			}
		}
	}
	// The dashboard covers what an operator watches during a migration.
	for _, must := range []string{
		"zdm_proxy_request_duration_seconds_bucket", "zdm_proxy_request_duration_seconds_count",
		"zdm_origin_request_duration_seconds_count", "zdm_target_request_duration_seconds_count",
		"zdm_origin_requests_failed_total", "zdm_target_requests_failed_total",
		"zdm_proxy_failed_writes_total", "zdm_proxy_failed_reads_total",
		"zdm_proxy_inflight_requests_total", "zdm_client_connections_total", "zdm_async_dropped_total", "up",
		"zdm_async_read_compared_total", "zdm_async_read_mismatch_total", "zdm_pscache_entries_total",
		// write_mode DUAL_ASYNC_ON_SECONDARY: the journal of missed writes and a secondary that is down
		"zdm_journal_pending_records", "zdm_journal_needs_repair_records", "zdm_journal_bytes", "zdm_journal_dropped_records_total",
		"zdm_secondary_write_failures_total", "zdm_secondary_disconnected_connections",
		// Go runtime and process
		"go_goroutines", "go_gc_duration_seconds_count", "go_memstats_heap_inuse_bytes", "process_cpu_seconds_total", "process_open_fds",
		// hosts
		"node_cpu_seconds_total", "node_filesystem_avail_bytes", "node_memory_MemAvailable_bytes", "node_time_seconds", "node_timex_offset_seconds", "zdm_proxy_ready",
	} {
		if !used[must] {
			t.Errorf("no panel queries %s", must)
		}
	}
}

// TestKnownRejects shows the check can fail: a misspelt or foreign metric.
func TestKnownRejects(t *testing.T) {
	fams := exported(t)
	for _, n := range []string{"zdm_proxy_requests_total", "proxy_request_duration_seconds_bucket", "zdm_client_connections", "zdm_proxy_inflight_requests_total_bucket"} {
		if known(fams, n) {
			t.Errorf("%s accepted", n)
		}
	}
	if !known(fams, "zdm_async_read_mismatch_total") || !known(fams, "zdm_target_request_duration_seconds_sum") {
		t.Error("exported names rejected")
	}
}
