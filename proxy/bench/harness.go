package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
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
		Warmup: opts.Warmup, Measure: opts.Measure,
	}
	for i, sc := range Scenarios {
		rows, err := h.runScenario(ctx, i, sc)
		if err != nil {
			return nil, fmt.Errorf("scenario %q: %w", sc.Name, err)
		}
		rep.Rows = append(rep.Rows, rows...)
	}
	return rep, nil
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
	}()
	var rows []Row
	for _, m := range h.opts.Modes() {
		row := Row{Scenario: sc.Name, Key: sc.Key, Load: m.String(), Open: m.Open, Write: sc.Write, CPUGoal: sc.CPUGoal()}
		fmt.Fprintf(h.progress, "bench: %-26s %-11s direct ...", sc.Name, m)
		if row.Direct, err = h.runSide(ctx, sc, m, h.origin.Addr(), nil); err != nil {
			return nil, fmt.Errorf("%s direct: %w", m, err)
		}
		fmt.Fprintf(h.progress, " %.0f ops/s; proxy ...", row.Direct.OpsPerSec)
		if row.Proxy, err = h.runSide(ctx, sc, m, listen, proc); err != nil {
			return nil, fmt.Errorf("%s via proxy: %w", m, err)
		}
		fmt.Fprintf(h.progress, " %.0f ops/s\n", row.Proxy.OpsPerSec)
		rows = append(rows, row)
	}
	return rows, nil
}

// runSide runs one mode of one scenario against addr, through proc if it is
// not nil.
func (h *Harness) runSide(ctx context.Context, sc Scenario, m Mode, addr *net.TCPAddr, proc *proxyproc.Process) (Side, error) {
	fail := func(err error) (Side, error) {
		if proc != nil && !proc.Alive() {
			err = fmt.Errorf("%w; the proxy exited, its output:\n%s", err, proc.Output())
		}
		return Side{}, err
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
	o0, t0 := h.origin.Counts(), h.target.Counts()
	var res load.Result
	if m.Open {
		res = load.OpenLoop{Rate: m.Rate, Warmup: h.opts.Warmup, Measure: h.opts.Measure, MaxInFlight: 4096}.Run(ctx, op, meter)
	} else {
		capacity := int(h.opts.Measure.Seconds()*200_000) + 1024
		res = load.ClosedLoop{Concurrency: m.Concurrency, Warmup: h.opts.Warmup, Measure: h.opts.Measure, Capacity: capacity}.Run(ctx, op, meter)
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
	s := Side{
		Ops:       res.Ops,
		OpsPerSec: res.Throughput(),
		P50:       res.Latencies.Percentile(50),
		P99:       res.Latencies.Percentile(99),
		Errors:    res.Errors,
		ClientCPU: perOp(meter.selfCPU(), res.Ops),
	}
	if res.FirstErr != nil {
		s.FirstError = res.FirstErr.Error()
	}
	if proc != nil {
		s.ProxyCPU = perOp(meter.proxyCPU(), res.Ops)
	}
	if sc.Write {
		s.OriginOps, s.TargetOps = o1.Writes-o0.Writes, t1.Writes-t0.Writes
	} else {
		s.OriginOps, s.TargetOps = o1.Reads-o0.Reads, t1.Reads-t0.Reads
	}
	return s, nil
}

// perOp is d divided by ops, in microseconds.
func perOp(d time.Duration, ops int64) float64 {
	if ops <= 0 {
		return 0
	}
	return float64(d) / float64(time.Microsecond) / float64(ops)
}
