package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// Side is what one run (direct or through the proxy) measured.
type Side struct {
	Ops        int64         `json:"ops"`
	OpsPerSec  float64       `json:"ops_per_sec"`
	P50        time.Duration `json:"p50_ns"`
	P99        time.Duration `json:"p99_ns"`
	Errors     int64         `json:"errors"`
	PacerP50   time.Duration `json:"pacer_lag_p50_ns,omitempty"` // open loop: dispatch delay, included in P50
	PacerP99   time.Duration `json:"pacer_lag_p99_ns,omitempty"`
	FirstError string        `json:"first_error,omitempty"`
	ProxyCPU   float64       `json:"proxy_cpu_us_per_op"`   // 0 for direct runs
	ClientCPU  float64       `json:"harness_cpu_us_per_op"` // client plus both in-memory servers
	OriginOps  int64         `json:"origin_ops"`            // statements Origin answered during the run
	TargetOps  int64         `json:"target_ops"`            // statements Target answered during the run
}

// Row is one scenario in one mode, direct next to proxied.
type Row struct {
	Scenario string  `json:"scenario"`
	Key      string  `json:"key"`
	Load     string  `json:"load"`
	Open     bool    `json:"open_loop"`
	Write    bool    `json:"write"`
	CPUGoal  float64 `json:"cpu_goal_us_per_op"`
	Direct   Side    `json:"direct"`
	Proxy    Side    `json:"proxy"`
	// RoundRatios are proxy/direct throughputs of each alternating round;
	// their spread shows how much the machine's noise moved the figures.
	RoundRatios []float64 `json:"round_ratios,omitempty"`
	// Compare is the comparison proxy (ZDM_BENCH_COMPARE_BIN) under the
	// same load in the same rounds; nil when none was given.
	Compare            *Side     `json:"compare,omitempty"`
	CompareRoundRatios []float64 `json:"compare_round_ratios,omitempty"`
}

// CompareCPURatio is the proxy's CPU per operation over the comparison
// proxy's (below 1: the proxy is cheaper); 0 without a comparison.
func (r Row) CompareCPURatio() float64 {
	if r.Compare == nil || r.Compare.ProxyCPU == 0 {
		return 0
	}
	return r.Proxy.ProxyCPU / r.Compare.ProxyCPU
}

// CompareP50Diff is the proxy's p50 minus the comparison proxy's.
func (r Row) CompareP50Diff() time.Duration {
	if r.Compare == nil {
		return 0
	}
	return r.Proxy.P50 - r.Compare.P50
}

// CPURatio estimates the throughput ratio of a CPU-bound machine from cost
// alone: CPU per operation of the direct system (client and server) over that
// of the proxied one (client, servers and proxy). Closed-loop runs saturate
// the CPU, so on a dedicated machine the measured ratio tends to this; unlike
// the measured ratio it does not depend on how much CPU other tenants left.
func (r Row) CPURatio() float64 {
	proxied := r.Proxy.ClientCPU + r.Proxy.ProxyCPU
	if proxied == 0 {
		return 0
	}
	return r.Direct.ClientCPU / proxied
}

// cpuRatioCell shows the CPU-bound ratio for closed-loop rows only: open-loop
// runs are far from saturating the CPU, so the estimate means nothing there.
func (r Row) cpuRatioCell() string {
	if r.Open {
		return "-"
	}
	return fmt.Sprintf("%.2fx", r.CPURatio())
}

// RatioSpread is the lowest and highest per-round ratio (0, 0 if unknown).
func (r Row) RatioSpread() (lo, hi float64) {
	for i, x := range r.RoundRatios {
		if i == 0 || x < lo {
			lo = x
		}
		if i == 0 || x > hi {
			hi = x
		}
	}
	return lo, hi
}

func (r Row) ratioCell() string {
	c := fmt.Sprintf("%.2fx", r.Ratio())
	if lo, hi := r.RatioSpread(); len(r.RoundRatios) > 1 {
		c += fmt.Sprintf(" (%.2f-%.2f)", lo, hi)
	}
	return c
}

// AddedP50 is proxy p50 minus direct p50.
func (r Row) AddedP50() time.Duration { return r.Proxy.P50 - r.Direct.P50 }

// Ratio is proxy throughput over direct throughput.
func (r Row) Ratio() float64 {
	if r.Direct.OpsPerSec == 0 {
		return 0
	}
	return r.Proxy.OpsPerSec / r.Direct.OpsPerSec
}

// SecondaryShare is the fraction of the proxied run's statements that Target
// answered relative to Origin: ~1 for dual writes and DUAL_ASYNC reads, 0 for
// primary-only reads.
func (r Row) SecondaryShare() float64 {
	if r.Proxy.OriginOps == 0 {
		return 0
	}
	return float64(r.Proxy.TargetOps) / float64(r.Proxy.OriginOps)
}

// Check is one goal verdict.
type Check struct {
	What string
	OK   bool
}

// Checks are the goals that apply to the row: CPU and added p50 at the
// open-loop rate, the throughput ratio closed-loop.
func (r Row) Checks() []Check {
	if r.Open {
		return []Check{
			{fmt.Sprintf("cpu<=%.0fus", r.CPUGoal), r.Proxy.ProxyCPU <= r.CPUGoal},
			{fmt.Sprintf("+p50<=%.0fus", GoalAddedP50Micros), micros(r.AddedP50()) <= GoalAddedP50Micros},
		}
	}
	return []Check{{fmt.Sprintf("ratio>=%.1fx", GoalThroughputRatio), r.Ratio() >= GoalThroughputRatio}}
}

func (r Row) verdicts() string {
	var parts []string
	for _, c := range r.Checks() {
		v := "ok"
		if !c.OK {
			v = "MISS"
		}
		parts = append(parts, c.What+" "+v)
	}
	return strings.Join(parts, ", ")
}

// Report is the result of a whole benchmark run.
type Report struct {
	Proxy   string        `json:"proxy"`
	Compare string        `json:"compare,omitempty"` // comparison proxy, "" for none
	StandIn bool          `json:"stand_in"`
	Started time.Time     `json:"started"`
	Warmup  time.Duration `json:"warmup_ns"`
	Measure time.Duration `json:"measure_ns"`
	Rounds  int           `json:"rounds"`
	Machine string        `json:"machine"`
	Rows    []Row         `json:"rows"`
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func fmtDur(d time.Duration) string {
	if d >= 10*time.Millisecond || d <= -10*time.Millisecond {
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.0fus", micros(d))
}

func signed(d time.Duration) string {
	if d >= 0 {
		return "+" + fmtDur(d)
	}
	return fmtDur(d)
}

var baseHeader = []string{
	"scenario", "load", "direct ops/s", "proxy ops/s", "ratio (rounds lo-hi)", "cpu-bound ratio",
	"direct p50", "proxy p50", "added p50", "direct p99", "proxy p99",
	"proxy CPU/op", "harness CPU/op d/p", "target/origin", "errors d/p", "goals",
}

// compareHeader are the extra columns when a comparison proxy ran.
var compareHeader = []string{
	"compare ops/s", "compare p50", "compare p99", "compare CPU/op", "proxy/compare CPU", "proxy-compare p50", "compare errors",
}

// header is the table's columns: the comparison's only when one ran.
func (rep *Report) header() []string {
	if rep.Compare == "" {
		return baseHeader
	}
	return append(append([]string(nil), baseHeader...), compareHeader...)
}

func (r Row) compareCells() []string {
	c := r.Compare
	if c == nil {
		return []string{"-", "-", "-", "-", "-", "-", "-"}
	}
	return []string{
		fmt.Sprintf("%.0f", c.OpsPerSec), fmtDur(c.P50), fmtDur(c.P99), fmt.Sprintf("%.1fus", c.ProxyCPU),
		fmt.Sprintf("%.2fx", r.CompareCPURatio()), signed(r.CompareP50Diff()), fmt.Sprintf("%d", c.Errors),
	}
}

func (rep *Report) cells(r Row) []string {
	c := r.cells()
	if rep.Compare != "" {
		c = append(c, r.compareCells()...)
	}
	return c
}

func (r Row) cells() []string {
	return []string{
		r.Scenario, r.Load,
		fmt.Sprintf("%.0f", r.Direct.OpsPerSec), fmt.Sprintf("%.0f", r.Proxy.OpsPerSec),
		r.ratioCell(), r.cpuRatioCell(),
		fmtDur(r.Direct.P50), fmtDur(r.Proxy.P50), signed(r.AddedP50()),
		fmtDur(r.Direct.P99), fmtDur(r.Proxy.P99),
		fmt.Sprintf("%.1fus", r.Proxy.ProxyCPU),
		fmt.Sprintf("%.0f/%.0fus", r.Direct.ClientCPU, r.Proxy.ClientCPU),
		fmt.Sprintf("%.0f%%", 100*r.SecondaryShare()),
		fmt.Sprintf("%d/%d", r.Direct.Errors, r.Proxy.Errors),
		r.verdicts(),
	}
}

func (rep *Report) preamble() []string {
	lines := []string{
		fmt.Sprintf("proxy: %s", rep.Proxy),
	}
	if rep.Compare != "" {
		lines = append(lines, fmt.Sprintf("compare: %s, run side by side: same servers, same load, same rounds (order reversed every round)", rep.Compare))
	}
	lines = append(lines,
		fmt.Sprintf("each side of a row: %v warm-up, then %v measured in %d rounds alternating the sides, order reversed every round (ABBA); "+
			"open-loop latency from intended send time; proxy CPU = utime+stime from /proc over the windows / ops",
			rep.Warmup, rep.Measure, rep.Rounds),
		"harness CPU/op: this process (gocql client + both in-memory servers), direct/proxied",
		"machine: "+rep.Machine,
	)
	if l := rep.pacerLine(); l != "" {
		lines = append(lines, l)
	}
	if rep.StandIn {
		lines = append(lines, "WARNING: these numbers are for the pass-through STAND-IN, not zdm-proxy.")
	}
	return lines
}

func goalLines() []string {
	return []string{
		fmt.Sprintf("goals: <= %.0f us proxy CPU per dual write, <= %.0f us per read at the open-loop rate; "+
			"<= %.0f us added p50; >= %.1fx direct throughput closed-loop",
			GoalWriteCPUMicros, GoalReadCPUMicros, GoalAddedP50Micros, GoalThroughputRatio),
		"cpu-bound ratio: direct (client+server) CPU/op over proxied (client+servers+proxy) CPU/op, " +
			"the closed-loop ratio a dedicated CPU-bound machine would show; robust to other tenants",
		"target/origin: statements Target answered per statement Origin answered during the proxied run " +
			"(100% for dual writes and DUAL_ASYNC reads, 0% for primary reads)",
	}
}

// WriteText prints the report as an aligned table.
func (rep *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, l := range rep.preamble() {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(rep.header(), "\t"))
	for _, r := range rep.Rows {
		fmt.Fprintln(tw, strings.Join(rep.cells(r), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, h := range rep.Headlines() {
		fmt.Fprintln(tw, h.cells(rep.Compare != ""))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n")
	for _, l := range goalLines() {
		b.WriteString(l + "\n")
	}
	b.WriteString(rep.firstErrors())
	_, err := io.WriteString(w, b.String())
	return err
}

func (rep *Report) firstErrors() string {
	var b strings.Builder
	for _, r := range rep.Rows {
		sides := []struct {
			side string
			v    Side
		}{{"direct", r.Direct}, {"proxy", r.Proxy}}
		if r.Compare != nil {
			sides = append(sides, struct {
				side string
				v    Side
			}{"compare", *r.Compare})
		}
		for _, s := range sides {
			if s.v.FirstError != "" {
				fmt.Fprintf(&b, "first error, %s %s %s: %s\n", r.Scenario, r.Load, s.side, s.v.FirstError)
			}
		}
	}
	return b.String()
}

// WriteMarkdown prints the report as a markdown document.
func (rep *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# zdm-proxy benchmark\n\n")
	fmt.Fprintf(&b, "Run %s.\n\n", rep.Started.Format(time.RFC3339))
	for _, l := range rep.preamble() {
		b.WriteString("- " + l + "\n")
	}
	header := rep.header()
	b.WriteString("\n| " + strings.Join(header, " | ") + " |\n|")
	for range header {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, r := range rep.Rows {
		b.WriteString("| " + strings.Join(rep.cells(r), " | ") + " |\n")
	}
	if rep.Compare != "" {
		b.WriteString("\n| goal | measured | target | compare (measured) | verdict |\n| --- | --- | --- | --- | --- |\n")
	} else {
		b.WriteString("\n| goal | measured | target | verdict |\n| --- | --- | --- | --- |\n")
	}
	for _, h := range rep.Headlines() {
		cells := []string{h.What, strings.Join(h.Values, ", "), h.Goal}
		if rep.Compare != "" {
			cells = append(cells, strings.Join(h.Compare, ", "))
		}
		cells = append(cells, h.verdict())
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	b.WriteString("\n")
	for _, l := range goalLines() {
		b.WriteString("- " + l + "\n")
	}
	if e := rep.firstErrors(); e != "" {
		b.WriteString("\n```\n" + e + "```\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Save writes the markdown report to path and its JSON twin next to it
// (same name, .json).
func (rep *Report) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save report: %w", err)
	}
	var md strings.Builder
	if err := rep.WriteMarkdown(&md); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(md.String()), 0o644); err != nil {
		return fmt.Errorf("save report %s: %w", path, err)
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	jsPath := strings.TrimSuffix(path, filepath.Ext(path)) + ".json"
	if err := os.WriteFile(jsPath, append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("save report %s: %w", jsPath, err)
	}
	return nil
}

// pacerLine reports the worst open-loop dispatch delay of any run: the part
// of every open-loop latency that the harness, not the system, adds.
func (rep *Report) pacerLine() string {
	var p50, p99 time.Duration
	for _, r := range rep.Rows {
		sides := []Side{r.Direct, r.Proxy}
		if r.Compare != nil {
			sides = append(sides, *r.Compare)
		}
		for _, s := range sides {
			p50, p99 = max(p50, s.PacerP50), max(p99, s.PacerP99)
		}
	}
	if p50 == 0 && p99 == 0 {
		return ""
	}
	return fmt.Sprintf("open-loop pacer dispatch lag (worst run, part of every open-loop latency): p50 %s, p99 %s",
		fmtDur(p50), fmtDur(p99))
}
