package bench

import (
	"fmt"
	"slices"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/proxy/bench/internal/load"
	"github.com/zdmctl/zdmctl/proxy/bench/internal/proxyproc"
)

// Goals of the project on the bench machine. They are targets, not
// measurements: every figure the bench prints next to them is measured in
// the same run (a comparison proxy only via ZDM_BENCH_COMPARE_BIN).
const (
	GoalWriteCPUMicros  = 80.0  // proxy CPU per dual write at the open-loop rate
	GoalReadCPUMicros   = 60.0  // proxy CPU per read at the open-loop rate
	GoalAddedP50Micros  = 150.0 // proxy p50 minus direct p50 at the open-loop rate
	GoalThroughputRatio = 0.6   // proxy/direct closed-loop throughput
)

// Scenario is one workload run through a proxy configured with ReadMode.
type Scenario struct {
	Name     string
	Key      string // short name for metrics
	Write    bool   // writes go to both clusters; reads to the primary
	ReadMode string
	Op       func(*gocql.Session) load.Op
}

// CPUGoal is the per-operation CPU goal for the scenario, in µs.
func (s Scenario) CPUGoal() float64 {
	if s.Write {
		return GoalWriteCPUMicros
	}
	return GoalReadCPUMicros
}

// Scenarios are the workloads `make bench` runs, in order.
var Scenarios = []Scenario{
	{Name: "dual writes (INSERT)", Key: "write", Write: true, ReadMode: proxyproc.ReadModePrimaryOnly, Op: load.Insert},
	{Name: "primary reads (SELECT)", Key: "read", ReadMode: proxyproc.ReadModePrimaryOnly, Op: load.Select},
	{Name: "DUAL_ASYNC reads (SELECT)", Key: "async-read", ReadMode: proxyproc.ReadModeDualAsyncOnSecondary, Op: load.Select},
}

// Mode is how load is applied: open-loop at a rate or closed-loop at a
// concurrency.
type Mode struct {
	Open        bool
	Rate        int
	Concurrency int
}

func (m Mode) String() string {
	if m.Open {
		return fmt.Sprintf("open %d/s", m.Rate)
	}
	return fmt.Sprintf("closed %d", m.Concurrency)
}

// Modes are the load shapes each scenario is run with.
func (o Options) Modes() []Mode {
	var out []Mode
	if o.wants("open") {
		out = append(out, Mode{Open: true, Rate: o.Rate})
	}
	if o.wants("closed") {
		out = append(out, Mode{Concurrency: o.Concurrency})
	}
	return out
}

// Scenarios are the selected scenarios, in order.
func (o Options) Scenarios() []Scenario {
	var out []Scenario
	for _, sc := range Scenarios {
		if o.wants(sc.Key) {
			out = append(out, sc)
		}
	}
	return out
}

// wants reports whether the ZDM_BENCH_ONLY selection includes name; an empty
// selection includes everything, and a selection naming no scenario key (or
// no mode) keeps all scenarios (or all modes).
func (o Options) wants(name string) bool {
	if len(o.Only) == 0 {
		return true
	}
	groups := [][]string{{"write", "read", "async-read"}, {"open", "closed"}}
	for _, g := range groups {
		if !slices.Contains(g, name) {
			continue
		}
		named := false
		for _, n := range g {
			named = named || slices.Contains(o.Only, n)
		}
		return !named || slices.Contains(o.Only, name)
	}
	return false
}
