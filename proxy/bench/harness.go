package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/proxy/bench/internal/load"
	"github.com/zdmctl/zdmctl/proxy/bench/internal/memcql"
	"github.com/zdmctl/zdmctl/proxy/bench/internal/proxyproc"
)

// Loopback addresses of the three endpoints: distinct, so Origin, Target and
// the proxy cannot be confused with one another.
const (
	originIP = "127.0.1.1"
	targetIP = "127.0.1.2"
	proxyIP  = "127.0.1.3"
)

const proxyStartTimeout = 15 * time.Second

// Harness holds what one benchmark run shares across scenarios.
type Harness struct {
	opts     Options
	repo     string
	tmp      string
	bin      string
	binLabel string
	cmpBin   string // ZDM_BENCH_COMPARE_BIN resolved ("" for none)
	origin   *memcql.Server
	target   *memcql.Server
	progress io.Writer
}

// Run executes every scenario in every mode, direct then proxied, and
// returns the report. Progress goes to progress.
func Run(ctx context.Context, opts Options, progress io.Writer) (*Report, error) {
	repo, err := proxyproc.RepoRoot(".")
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "zdm-bench-")
	if err != nil {
		return nil, fmt.Errorf("make temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	h := &Harness{opts: opts, repo: repo, tmp: tmp, progress: progress}
	if err := h.resolveProxy(ctx); err != nil {
		return nil, err
	}
	if err := h.resolveCompare(); err != nil {
		return nil, err
	}
	if h.origin, err = memcql.Listen(originIP+":0", "origin"); err != nil {
		return nil, err
	}
	defer h.origin.Close()
	if h.target, err = memcql.Listen(targetIP+":0", "target"); err != nil {
		return nil, err
	}
	defer h.target.Close()

	rep := &Report{
		Proxy: h.binLabel, StandIn: opts.StandIn, Started: time.Now().UTC(), Compare: h.compareLabel(),
		Warmup: opts.Warmup, Measure: opts.Measure, Rounds: opts.Rounds, Machine: machine(),
	}
	for i, sc := range opts.Scenarios() {
		rows, err := h.runScenario(ctx, i, sc)
		if err != nil {
			return nil, fmt.Errorf("scenario %q: %w", sc.Name, err)
		}
		rep.Rows = append(rep.Rows, rows...)
	}
	rep.Machine += "; after: " + loadavg()
	return rep, nil
}

// machine describes the host the numbers come from: they mean little
// without knowing how many cores there were and what else ran.
func machine() string {
	return fmt.Sprintf("%d CPUs, %s, load average before: %s", runtime.NumCPU(), runtime.Version(), loadavg())
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// resolveProxy decides which binary plays the proxy, building it if needed.
func (h *Harness) resolveProxy(ctx context.Context) error {
	switch {
	case h.opts.ProxyBin != "":
		abs, err := filepath.Abs(h.opts.ProxyBin)
		if err != nil {
			return err
		}
		if _, err := os.Stat(abs); err != nil {
			return fmt.Errorf("ZDM_BENCH_PROXY_BIN: %w", err)
		}
		h.bin, h.binLabel = abs, abs
		return nil
	case h.opts.StandIn:
		h.binLabel = "STAND-IN TCP pass-through (not zdm-proxy; pipeline check only)"
		return h.build(ctx, "./proxy/bench/internal/standin")
	default:
		if _, err := os.Stat(filepath.Join(h.repo, "cmd", "zdm-proxy")); err != nil {
			return fmt.Errorf("no ./cmd/zdm-proxy in %s to build: set ZDM_BENCH_PROXY_BIN to a zdm-proxy binary, "+
				"or ZDM_BENCH_STANDIN=1 to check the pipeline with a pass-through stand-in", h.repo)
		}
		h.binLabel = "zdm-proxy built from ./cmd/zdm-proxy"
		return h.build(ctx, "./cmd/zdm-proxy")
	}
}

// resolveCompare checks ZDM_BENCH_COMPARE_BIN.
func (h *Harness) resolveCompare() error {
	if h.opts.CompareBin == "" {
		return nil
	}
	abs, err := filepath.Abs(h.opts.CompareBin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("ZDM_BENCH_COMPARE_BIN: %w", err)
	}
	h.cmpBin = abs
	return nil
}

func (h *Harness) compareLabel() string {
	if h.cmpBin == "" {
		return ""
	}
	return fmt.Sprintf("%s (%s)", h.opts.CompareLabel, h.cmpBin)
}

func (h *Harness) build(ctx context.Context, pkg string) error {
	fmt.Fprintf(h.progress, "bench: building %s\n", pkg)
	bin, err := proxyproc.Build(ctx, h.repo, pkg, h.tmp)
	if err != nil {
		return err
	}
	h.bin = bin
	return nil
}

func (h *Harness) startProxy(idx int, sc Scenario) (*proxyproc.Process, *net.TCPAddr, error) {
	return h.startBin(h.bin, fmt.Sprintf("proxy-%d.yaml", idx), sc)
}

// startBin starts bin with a config file named name in front of the servers.
func (h *Harness) startBin(bin, name string, sc Scenario) (*proxyproc.Process, *net.TCPAddr, error) {
	port, err := proxyproc.FreePort(proxyIP)
	if err != nil {
		return nil, nil, err
	}
	metrics, err := proxyproc.FreePort("127.0.0.1")
	if err != nil {
		return nil, nil, err
	}
	listen := &net.TCPAddr{IP: net.ParseIP(proxyIP), Port: port}
	cfg := proxyproc.Config{
		Origin: h.origin.Addr(), Target: h.target.Addr(), Listen: listen,
		MetricsPort: metrics, PrimaryCluster: proxyproc.ClusterOrigin, ReadMode: sc.ReadMode,
	}
	path, err := cfg.Write(h.tmp, name)
	if err != nil {
		return nil, nil, err
	}
	p, err := proxyproc.Start(bin, path, listen, proxyStartTimeout)
	if err != nil {
		return nil, nil, err
	}
	return p, listen, nil
}

func (h *Harness) runScenario(ctx context.Context, idx int, sc Scenario) ([]Row, error) {
	proc, listen, err := h.startProxy(idx, sc)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := proc.Stop(); err != nil {
			fmt.Fprintf(h.progress, "bench: stopping proxy: %v\n", err)
		}
		if h.opts.ProxyLog != "" {
			f := fmt.Sprintf("%s.%d", h.opts.ProxyLog, idx)
			if err := os.WriteFile(f, []byte(proc.Output()), 0o644); err != nil {
				fmt.Fprintf(h.progress, "bench: %v\n", err)
			}
		}
		for _, l := range complaints(proc.Output(), 5) {
			fmt.Fprintf(h.progress, "bench: proxy said: %s\n", l)
		}
	}()
	var cmp *endpoint
	if h.cmpBin != "" {
		cproc, clisten, err := h.startBin(h.cmpBin, fmt.Sprintf("compare-%d.yaml", idx), sc)
		if err != nil {
			return nil, fmt.Errorf("comparison proxy %s: %w", h.cmpBin, err)
		}
		defer func() {
			if err := cproc.Stop(); err != nil {
				fmt.Fprintf(h.progress, "bench: stopping comparison proxy: %v\n", err)
			}
		}()
		cmp = &endpoint{addr: clisten, proc: cproc}
	}
	var rows []Row
	for _, m := range h.opts.Modes() {
		row, err := h.runRow(ctx, sc, m, &endpoint{addr: listen, proc: proc}, cmp)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// leadIn is the unmeasured start of every round: the open-loop pacer and
// the closed-loop workers need a moment to reach steady state.
const leadIn = 200 * time.Millisecond

// endpoint is a running proxy process and its CQL address.
type endpoint struct {
	addr *net.TCPAddr
	proc *proxyproc.Process
}

// runRow measures one mode of one scenario: every side (direct, proxy and
// the comparison proxy if any) is connected and warmed up once, then
// measured in short rounds whose order reverses every round (ABBA, or
// ABCCBA), so a drift in machine load (other processes) hits all alike.
func (h *Harness) runRow(ctx context.Context, sc Scenario, m Mode, px, cmp *endpoint) (Row, error) {
	fmt.Fprintf(h.progress, "bench: %-26s %-11s", sc.Name, m)
	defer fmt.Fprintln(h.progress)
	direct, err := h.openSide(ctx, sc, h.origin.Addr(), nil)
	if err != nil {
		return Row{}, fmt.Errorf("%s direct: %w", m, err)
	}
	defer direct.close()
	proxied, err := h.openSide(ctx, sc, px.addr, px.proc)
	if err != nil {
		return Row{}, fmt.Errorf("%s via proxy: %w", m, err)
	}
	defer proxied.close()
	sides := []*side{direct, proxied}
	if cmp != nil {
		cs, err := h.openSide(ctx, sc, cmp.addr, cmp.proc)
		if err != nil {
			return Row{}, fmt.Errorf("%s via comparison proxy: %w", m, err)
		}
		defer cs.close()
		cs.name = "compare"
		sides = append(sides, cs)
	}
	if h.opts.Warmup > 0 {
		for _, s := range sides {
			if _, err := h.measure(ctx, s, m, 0, h.opts.Warmup); err != nil {
				return Row{}, fmt.Errorf("%s %s warm-up: %w", m, s.name, err)
			}
		}
	}
	per := h.opts.Measure / time.Duration(h.opts.Rounds)
	acc := make([]sample, len(sides))
	rounds := make([][]float64, len(sides)) // per-round throughput
	for r := 0; r < h.opts.Rounds; r++ {
		for k := range sides {
			i := k
			if r%2 == 1 {
				i = len(sides) - 1 - k
			}
			s := sides[i]
			got, err := h.measure(ctx, s, m, leadIn, per)
			if err != nil {
				return Row{}, fmt.Errorf("%s %s round %d: %w", m, s.name, r+1, err)
			}
			acc[i].add(got)
			rounds[i] = append(rounds[i], got.res.Throughput())
			fmt.Fprintf(h.progress, " %c:%.0f", s.name[0], got.res.Throughput())
		}
	}
	row := Row{
		Scenario: sc.Name, Key: sc.Key, Load: m.String(), Open: m.Open, Write: sc.Write, CPUGoal: sc.CPUGoal(),
		Direct: acc[0].side(sc.Write), Proxy: acc[1].side(sc.Write),
		RoundRatios: roundRatios(rounds[0], rounds[1]),
	}
	if cmp != nil {
		c := acc[2].side(sc.Write)
		row.Compare = &c
		row.CompareRoundRatios = roundRatios(rounds[0], rounds[2])
	}
	return row, nil
}

// side is one connected client: straight to Origin or through the proxy.
type side struct {
	name string
	sess *gocql.Session
	op   load.Op
	proc *proxyproc.Process // nil for direct
}

func (s *side) close() { s.sess.Close() }

// failure adds the proxy's output to err if the proxy has died.
func (s *side) failure(err error) error {
	if s.proc != nil && !s.proc.Alive() {
		return fmt.Errorf("%w; the proxy exited, its output:\n%s", err, s.proc.Output())
	}
	return err
}

func (h *Harness) openSide(ctx context.Context, sc Scenario, addr *net.TCPAddr, proc *proxyproc.Process) (*side, error) {
	s := &side{name: "direct", proc: proc}
	if proc != nil {
		s.name = "proxy"
	}
	sess, err := load.Connect(addr)
	if err != nil {
		return nil, s.failure(err)
	}
	s.sess, s.op = sess, sc.Op(sess)
	if err := s.op(ctx, -1); err != nil { // prepares the statement outside the measurement
		sess.Close()
		return nil, s.failure(fmt.Errorf("first operation: %w", err))
	}
	return s, nil
}

// sample is the raw outcome of one or more runs of one side.
type sample struct {
	runs              int
	res               load.Result
	proxyCPU, selfCPU time.Duration
	origin, target    memcql.Counts
	proxied           bool
}

func (a *sample) add(s sample) {
	if a.runs == 0 {
		*a = s
		return
	}
	a.runs += s.runs
	a.res = a.res.Merge(s.res)
	a.proxyCPU += s.proxyCPU
	a.selfCPU += s.selfCPU
	a.origin.Writes += s.origin.Writes
	a.origin.Reads += s.origin.Reads
	a.target.Writes += s.target.Writes
	a.target.Reads += s.target.Reads
}

func (a *sample) side(write bool) Side {
	s := Side{
		Ops:       a.res.Ops,
		OpsPerSec: a.res.Throughput(),
		P50:       a.res.Latencies.Percentile(50),
		P99:       a.res.Latencies.Percentile(99),
		Errors:    a.res.Errors,
		ClientCPU: perOp(a.selfCPU, a.res.Ops),
		PacerP50:  a.res.PacerLag.Percentile(50),
		PacerP99:  a.res.PacerLag.Percentile(99),
	}
	if a.res.FirstErr != nil {
		s.FirstError = a.res.FirstErr.Error()
	}
	if a.proxied {
		s.ProxyCPU = perOp(a.proxyCPU, a.res.Ops)
	}
	if write {
		s.OriginOps, s.TargetOps = a.origin.Writes, a.target.Writes
	} else {
		s.OriginOps, s.TargetOps = a.origin.Reads, a.target.Reads
	}
	return s
}

// measure runs one mode on one side for lead+window and returns what
// happened in the window.
func (h *Harness) measure(ctx context.Context, s *side, m Mode, lead, window time.Duration) (sample, error) {
	meter := &cpuMeter{}
	if s.proc != nil {
		meter.proxyPID = s.proc.PID()
	}
	o0, t0 := h.origin.Counts(), h.target.Counts()
	var res load.Result
	if m.Open {
		res = load.OpenLoop{Rate: m.Rate, Warmup: lead, Measure: window, MaxInFlight: 4096}.Run(ctx, s.op, meter)
	} else {
		capacity := int(window.Seconds()*200_000) + 1024
		res = load.ClosedLoop{Concurrency: m.Concurrency, Warmup: lead, Measure: window, Capacity: capacity}.Run(ctx, s.op, meter)
	}
	o1, t1 := h.origin.Counts(), h.target.Counts()
	if meter.err != nil {
		return sample{}, s.failure(fmt.Errorf("read cpu time: %w", meter.err))
	}
	if s.proc != nil && !s.proc.Alive() {
		return sample{}, s.failure(fmt.Errorf("proxy died during the run"))
	}
	if res.Ops == 0 {
		return sample{}, s.failure(fmt.Errorf("no operation completed in the measured window (%d errors, first: %v)", res.Errors, res.FirstErr))
	}
	return sample{
		runs: 1, res: res, proxyCPU: meter.proxyCPU(), selfCPU: meter.selfCPU(), proxied: s.proc != nil,
		origin: memcql.Counts{Writes: o1.Writes - o0.Writes, Reads: o1.Reads - o0.Reads},
		target: memcql.Counts{Writes: t1.Writes - t0.Writes, Reads: t1.Reads - t0.Reads},
	}, nil
}

// perOp is d divided by ops, in microseconds.
func perOp(d time.Duration, ops int64) float64 {
	if ops <= 0 {
		return 0
	}
	return float64(d) / float64(time.Microsecond) / float64(ops)
}

// complaints returns up to n lines of proxy output that look like warnings
// or errors, so a misbehaving proxy does not go unnoticed behind good numbers.
func complaints(out string, n int) []string {
	var got []string
	for _, l := range strings.Split(out, "\n") {
		u := strings.ToUpper(l)
		if strings.Contains(u, "WARN") || strings.Contains(u, "ERROR") || strings.Contains(u, "PANIC") {
			got = append(got, l)
			if len(got) == n {
				break
			}
		}
	}
	return got
}

// roundRatios pairs each proxied round with the direct round next to it in
// the ABBA sequence and returns their throughput ratios.
func roundRatios(direct, proxied []float64) []float64 {
	var out []float64
	for i := range min(len(direct), len(proxied)) {
		if direct[i] > 0 {
			out = append(out, proxied[i]/direct[i])
		}
	}
	return out
}
