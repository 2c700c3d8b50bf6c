package bench

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Options configures a benchmark run.
type Options struct {
	ProxyBin string // if empty, built from ./cmd/zdm-proxy (or the stand-in)
	// CompareBin is a second proxy binary (ZDM Proxy, an older build) run
	// side by side with the same load in the same rounds; "" for none.
	CompareBin   string
	CompareLabel string // its name in the report; default the file name
	StandIn      bool   // use the pass-through stand-in instead of zdm-proxy
	Warmup       time.Duration
	Measure      time.Duration
	Rate         int
	Concurrency  int
	Rounds       int      // alternating direct/proxy rounds per row; Measure is split across them
	OutPath      string   // markdown report; "" means <repo>/bin/bench.md
	ProxyLog     string   // if set, each scenario's proxy output is saved to ProxyLog.N
	Only         []string // subset of scenario keys and modes to run; empty means all
}

// DefaultOptions are the values `make bench` uses.
func DefaultOptions() Options {
	return Options{Warmup: time.Second, Measure: 6 * time.Second, Rate: 5000, Concurrency: 64, Rounds: 6}
}

// OptionsFromEnv applies ZDM_BENCH_* variables (see the package doc) to the
// defaults.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	o := DefaultOptions()
	o.ProxyBin = getenv("ZDM_BENCH_PROXY_BIN")
	o.CompareBin = getenv("ZDM_BENCH_COMPARE_BIN")
	o.CompareLabel = getenv("ZDM_BENCH_COMPARE_LABEL")
	if o.CompareLabel == "" && o.CompareBin != "" {
		o.CompareLabel = filepath.Base(o.CompareBin)
	}
	o.OutPath = getenv("ZDM_BENCH_OUT")
	o.ProxyLog = getenv("ZDM_BENCH_PROXY_LOG")
	for _, f := range strings.Split(getenv("ZDM_BENCH_ONLY"), ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !slices.Contains([]string{"write", "read", "async-read", "open", "closed"}, f) {
			return o, fmt.Errorf("ZDM_BENCH_ONLY: unknown %q; want a comma list of write, read, async-read, open, closed", f)
		}
		o.Only = append(o.Only, f)
	}
	if v := getenv("ZDM_BENCH_STANDIN"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return o, fmt.Errorf("ZDM_BENCH_STANDIN=%q: want true or false", v)
		}
		o.StandIn = b
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"ZDM_BENCH_WARMUP", &o.Warmup}, {"ZDM_BENCH_MEASURE", &o.Measure}} {
		if v := getenv(d.name); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil || x < 0 {
				return o, fmt.Errorf("%s=%q: want a duration such as 2s", d.name, v)
			}
			*d.dst = x
		}
	}
	for _, n := range []struct {
		name string
		dst  *int
	}{{"ZDM_BENCH_RATE", &o.Rate}, {"ZDM_BENCH_INFLIGHT", &o.Concurrency}, {"ZDM_BENCH_ROUNDS", &o.Rounds}} {
		if v := getenv(n.name); v != "" {
			x, err := strconv.Atoi(v)
			if err != nil || x < 1 {
				return o, fmt.Errorf("%s=%q: want a positive integer", n.name, v)
			}
			*n.dst = x
		}
	}
	if o.StandIn && o.ProxyBin != "" {
		return o, fmt.Errorf("set either ZDM_BENCH_PROXY_BIN or ZDM_BENCH_STANDIN, not both")
	}
	if o.Measure/time.Duration(o.Rounds) < 100*time.Millisecond {
		return o, fmt.Errorf("ZDM_BENCH_MEASURE/ZDM_BENCH_ROUNDS must leave at least 100ms per round")
	}
	return o, nil
}
