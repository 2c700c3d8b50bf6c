package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleReport() *Report {
	return &Report{
		Proxy: "zdm-proxy test", Warmup: time.Second, Measure: 5 * time.Second,
		Rows: []Row{
			{Scenario: "dual writes (INSERT)", Key: "write", Load: "open 5000/s", Open: true, Write: true, CPUGoal: GoalWriteCPUMicros,
				Direct: Side{OpsPerSec: 5000, P50: 100 * time.Microsecond, P99: 400 * time.Microsecond, OriginOps: 30000,
					PacerP50: 31 * time.Microsecond, PacerP99: 90 * time.Microsecond},
				Proxy: Side{OpsPerSec: 5000, P50: 220 * time.Microsecond, P99: 900 * time.Microsecond, ProxyCPU: 79.5,
					OriginOps: 30000, TargetOps: 30000}},
			{Scenario: "primary reads (SELECT)", Key: "read", Load: "open 5000/s", Open: true, CPUGoal: GoalReadCPUMicros,
				Direct: Side{OpsPerSec: 5000, P50: 100 * time.Microsecond},
				Proxy:  Side{OpsPerSec: 5000, P50: 300 * time.Microsecond, ProxyCPU: 61, OriginOps: 30000}},
			{Scenario: "primary reads (SELECT)", Key: "read", Load: "closed 64", CPUGoal: GoalReadCPUMicros,
				Direct: Side{OpsPerSec: 50000, P50: time.Millisecond, ClientCPU: 15},
				Proxy: Side{OpsPerSec: 29000, P50: 2 * time.Millisecond, FirstError: "boom", Errors: 2,
					ClientCPU: 18, ProxyCPU: 7},
				RoundRatios: []float64{0.7, 0.41, 0.66}},
		},
	}
}

func TestChecksApplyTheRightGoals(t *testing.T) {
	rows := sampleReport().Rows
	w := rows[0].Checks()
	if len(w) != 2 || !w[0].OK || !w[1].OK {
		t.Fatalf("write row at 79.5us and +120us should meet both goals: %+v", w)
	}
	r := rows[1].Checks()
	if r[0].OK || r[1].OK {
		t.Fatalf("read row at 61us and +200us should miss both goals: %+v", r)
	}
	c := rows[2].Checks()
	if len(c) != 1 || c[0].OK || rows[2].Ratio() != 0.58 {
		t.Fatalf("closed row at 0.58x should miss the ratio goal: %+v ratio %v", c, rows[2].Ratio())
	}
	if rows[0].SecondaryShare() != 1 || rows[1].SecondaryShare() != 0 {
		t.Fatalf("secondary share %v %v", rows[0].SecondaryShare(), rows[1].SecondaryShare())
	}
	if rows[0].AddedP50() != 120*time.Microsecond {
		t.Fatalf("added p50 %v", rows[0].AddedP50())
	}
}

func TestTextTableShowsBaselineGoalsAndErrors(t *testing.T) {
	var b strings.Builder
	if err := sampleReport().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"added p50", "+120us", "0.58x", "79.5us", "100%", "cpu<=80us ok", "cpu<=60us MISS",
		"ratio>=0.6x MISS", "write 79.5 us", "read +200us", "read 0.58x (cpu-bound 0.60x)", "0.58x (0.41-0.70)",
		"first error, primary reads (SELECT) closed 64 proxy: boom",
		"pacer dispatch lag (worst run, part of every open-loop latency): p50 31us, p99 90us",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestSaveWritesMarkdownAndJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out", "bench.md")
	rep := sampleReport()
	if err := rep.Save(path); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "| dual writes (INSERT) | open 5000/s |") {
		t.Fatalf("markdown:\n%s", md)
	}
	js, err := os.ReadFile(filepath.Join(filepath.Dir(path), "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Rows) != 3 || back.Rows[0].Proxy.ProxyCPU != 79.5 || back.Rows[0].Proxy.P50 != 220*time.Microsecond {
		t.Fatalf("json round trip: %+v", back.Rows)
	}
}

func TestOptionsFromEnv(t *testing.T) {
	env := map[string]string{"ZDM_BENCH_MEASURE": "2s", "ZDM_BENCH_RATE": "1000", "ZDM_BENCH_STANDIN": "1"}
	o, err := OptionsFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if o.Measure != 2*time.Second || o.Rate != 1000 || !o.StandIn || o.Concurrency != 64 || o.Warmup != time.Second || o.Rounds != 6 {
		t.Fatalf("%+v", o)
	}
	for _, bad := range []map[string]string{
		{"ZDM_BENCH_RATE": "0"},
		{"ZDM_BENCH_MEASURE": "soon"},
		{"ZDM_BENCH_STANDIN": "1", "ZDM_BENCH_PROXY_BIN": "/x"},
	} {
		if _, err := OptionsFromEnv(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestHeadlinesAggregateVerdicts(t *testing.T) {
	h := sampleReport().Headlines()
	if len(h) != 4 {
		t.Fatalf("%d headlines", len(h))
	}
	if !h[0].OK || h[1].OK || h[2].OK || h[3].OK {
		t.Fatalf("verdicts write-cpu %v read-cpu %v p50 %v ratio %v, want ok MISS MISS MISS", h[0].OK, h[1].OK, h[2].OK, h[3].OK)
	}
	if strings.Join(h[2].Values, ",") != "write +120us,read +200us" {
		t.Fatalf("added p50 values %v", h[2].Values)
	}
	only := &Report{Rows: sampleReport().Rows[2:]} // the closed-loop row alone
	if h := only.Headlines(); len(h) != 1 || !strings.HasPrefix(h[0].What, "throughput") {
		t.Fatalf("closed-loop-only report headlines: %+v", h)
	}
}

func TestMarkdownRowsHaveOneCellPerColumn(t *testing.T) {
	for _, rep := range []*Report{sampleReport(), compareReport()} {
		checkMarkdownColumns(t, rep)
	}
}

func checkMarkdownColumns(t *testing.T, rep *Report) {
	t.Helper()
	header := rep.header()
	var b strings.Builder
	if err := rep.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	var inTable bool
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "| scenario |") {
			inTable = true
		}
		if inTable && !strings.HasPrefix(l, "|") {
			break
		}
		if inTable && strings.Count(l, "|") != len(header)+1 {
			t.Errorf("%d pipes, want %d: %s", strings.Count(l, "|"), len(header)+1, l)
		}
	}
	if !inTable {
		t.Fatal("no table")
	}
}

func TestOnlySelectsScenariosAndModes(t *testing.T) {
	pick := func(only string) (keys []string, modes []string) {
		o, err := OptionsFromEnv(func(k string) string {
			if k == "ZDM_BENCH_ONLY" {
				return only
			}
			return ""
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range o.Scenarios() {
			keys = append(keys, sc.Key)
		}
		for _, m := range o.Modes() {
			modes = append(modes, m.String())
		}
		return keys, modes
	}
	cases := []struct{ only, keys, modes string }{
		{"", "write,read,async-read", "open 5000/s,closed 64"},
		{"write", "write", "open 5000/s,closed 64"},
		{"closed", "write,read,async-read", "closed 64"},
		{"read, async-read,open", "read,async-read", "open 5000/s"},
	}
	for _, c := range cases {
		k, m := pick(c.only)
		if strings.Join(k, ",") != c.keys || strings.Join(m, ",") != c.modes {
			t.Errorf("ZDM_BENCH_ONLY=%q: scenarios %v modes %v, want %s / %s", c.only, k, m, c.keys, c.modes)
		}
	}
	if _, err := OptionsFromEnv(func(k string) string {
		if k == "ZDM_BENCH_ONLY" {
			return "writes"
		}
		return ""
	}); err == nil {
		t.Error("unknown ZDM_BENCH_ONLY entry accepted")
	}
}

// compareReport is sampleReport with a comparison proxy measured beside.
func compareReport() *Report {
	rep := sampleReport()
	rep.Compare = "zdm-proxy-old (/tmp/zdm-proxy-old)"
	rep.Rows[0].Compare = &Side{OpsPerSec: 5000, P50: 260 * time.Microsecond, P99: time.Millisecond, ProxyCPU: 159}
	rep.Rows[1].Compare = &Side{OpsPerSec: 5000, P50: 280 * time.Microsecond, ProxyCPU: 61}
	rep.Rows[2].Compare = &Side{OpsPerSec: 25000, P50: 3 * time.Millisecond, ProxyCPU: 9, Errors: 1, FirstError: "old boom"}
	return rep
}

// Without a comparison proxy, nothing but this run's own measurements is
// printed: no comparison column, no quoted figure of another proxy.
func TestNoComparisonNoComparisonColumn(t *testing.T) {
	var text, md strings.Builder
	rep := sampleReport()
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{text.String(), md.String()} {
		for _, banned := range []string{"ZDM Proxy", "reference", "compare", "160", "145"} {
			if strings.Contains(out, banned) {
				t.Errorf("report without a comparison proxy mentions %q:\n%s", banned, out)
			}
		}
	}
}

func TestComparisonIsPrintedAsMeasured(t *testing.T) {
	var b strings.Builder
	if err := compareReport().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"compare: zdm-proxy-old (/tmp/zdm-proxy-old), run side by side",
		"159.0us", "0.50x", "-40us", // write row: CPU, proxy/compare CPU, p50 difference
		"compare write 159.0 us", "compare read 61.0 us", "compare write +160us, read +180us", "compare read 0.50x",
		"first error, primary reads (SELECT) closed 64 compare: old boom",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
