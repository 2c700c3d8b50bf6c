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
	if h.origin, err = memcql.Listen(originIP+":0", "origin"); err != nil {
		return nil, err
	}
	defer h.origin.Close()
	if h.target, err = memcql.Listen(targetIP+":0", "target"); err != nil {
		return nil, err
	}
	defer h.target.Close()

	rep := &Report{
		Proxy: h.binLabel, StandIn: opts.StandIn, Started: time.Now().UTC(),
		Warmup: opts.Warmup, Measure: opts.Measure, Rounds: opts.Rounds, Machine: machine(),
	}
	for i, sc := range Scenarios {
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
	path, err := cfg.Write(h.tmp, fmt.Sprintf("proxy-%d.yaml", idx))
	if err != nil {
		return nil, nil, err
	}
	p, err := proxyproc.Start(h.bin, path, listen, proxyStartTimeout)
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
	var rows []Row
	for _, m := range h.opts.Modes() {
		fmt.Fprintf(h.progress, "bench: %-26s %-11s", sc.Name, m)
		// Rounds alternate direct and proxied runs in ABBA order, so a
		// drift in machine load (other processes) hits both sides alike.
		var direct, proxied sample
		for r := 0; r < h.opts.Rounds; r++ {
			order := []bool{false, true}
			if r%2 == 1 {
				order = []bool{true, false}
			}
			for _, viaProxy := range order {
				addr, p, acc, label := h.origin.Addr(), (*proxyproc.Process)(nil), &direct, "d"
				if viaProxy {
					addr, p, acc, label = listen, proc, &proxied, "p"
				}
				s, err := h.runOnce(ctx, sc, m, addr, p)
				if err != nil {
					fmt.Fprintln(h.progress)
					return nil, fmt.Errorf("%s %s: %w", m, map[string]string{"d": "direct", "p": "via proxy"}[label], err)
				}
				acc.add(s)
				fmt.Fprintf(h.progress, " %s:%.0f/s", label, s.res.Throughput())
			}
		}
		fmt.Fprintln(h.progress)
		rows = append(rows, Row{
			Scenario: sc.Name, Key: sc.Key, Load: m.String(), Open: m.Open, Write: sc.Write, CPUGoal: sc.CPUGoal(),
			Direct: direct.side(sc.Write), Proxy: proxied.side(sc.Write),
		})
	}
	return rows, nil
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

// runOnce runs one mode of one scenario against addr, through proc if it is
// not nil, for one round.
func (h *Harness) runOnce(ctx context.Context, sc Scenario, m Mode, addr *net.TCPAddr, proc *proxyproc.Process) (sample, error) {
	fail := func(err error) (sample, error) {
		if proc != nil && !proc.Alive() {
			err = fmt.Errorf("%w; the proxy exited, its output:\n%s", err, proc.Output())
		}
		return sample{}, err
	}
	sess, err := load.Connect(addr)
	if err != nil {
		return fail(err)
	}
	defer sess.Close()
	op := sc.Op(sess)
	if err := op(ctx, -1); err != nil { // prepares the statement outside the measurement
		return fail(fmt.Errorf("first operation: %w", err))
	}
	meter := &cpuMeter{}
	if proc != nil {
		meter.proxyPID = proc.PID()
	}
	measure := h.opts.Measure / time.Duration(h.opts.Rounds)
	o0, t0 := h.origin.Counts(), h.target.Counts()
	var res load.Result
	if m.Open {
		res = load.OpenLoop{Rate: m.Rate, Warmup: h.opts.Warmup, Measure: measure, MaxInFlight: 4096}.Run(ctx, op, meter)
	} else {
		capacity := int(measure.Seconds()*200_000) + 1024
		res = load.ClosedLoop{Concurrency: m.Concurrency, Warmup: h.opts.Warmup, Measure: measure, Capacity: capacity}.Run(ctx, op, meter)
	}
	o1, t1 := h.origin.Counts(), h.target.Counts()
	if meter.err != nil {
		return fail(fmt.Errorf("read cpu time: %w", meter.err))
	}
	if proc != nil && !proc.Alive() {
		return fail(fmt.Errorf("proxy died during the run"))
	}
	if res.Ops == 0 {
		return fail(fmt.Errorf("no operation completed in the measured window (%d errors, first: %v)", res.Errors, res.FirstErr))
	}
	return sample{
		runs: 1, res: res, proxyCPU: meter.proxyCPU(), selfCPU: meter.selfCPU(), proxied: proc != nil,
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
