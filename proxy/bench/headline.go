package bench

import (
	"fmt"
	"strings"
)

// Headline is one goal with the measured values it applies to.
type Headline struct {
	What   string
	Values []string // one per scenario, "key value"
	Goal   string
	// Compare are the comparison proxy's values, measured in the same run
	// (empty without ZDM_BENCH_COMPARE_BIN).
	Compare []string
	OK      bool
}

// Headlines condenses the rows into the four figures the goals are about.
func (rep *Report) Headlines() []Headline {
	cpuW := Headline{What: "proxy CPU per dual write (open loop)", OK: true,
		Goal: fmt.Sprintf("<= %.0f us", GoalWriteCPUMicros)}
	cpuR := Headline{What: "proxy CPU per read (open loop)", OK: true,
		Goal: fmt.Sprintf("<= %.0f us", GoalReadCPUMicros)}
	p50 := Headline{What: "added p50 (open loop)", OK: true,
		Goal: fmt.Sprintf("<= %.0f us", GoalAddedP50Micros)}
	ratio := Headline{What: "throughput proxy/direct (closed loop)", OK: true,
		Goal: fmt.Sprintf(">= %.1fx", GoalThroughputRatio)}
	for _, r := range rep.Rows {
		if !r.Open {
			ratio.Values = append(ratio.Values, fmt.Sprintf("%s %.2fx (cpu-bound %.2fx)", r.Key, r.Ratio(), r.CPURatio()))
			if c := r.Compare; c != nil && r.Direct.OpsPerSec > 0 {
				ratio.Compare = append(ratio.Compare, fmt.Sprintf("%s %.2fx", r.Key, c.OpsPerSec/r.Direct.OpsPerSec))
			}
			ratio.OK = ratio.OK && r.Ratio() >= GoalThroughputRatio
			continue
		}
		cpu := &cpuR
		if r.Write {
			cpu = &cpuW
		}
		cpu.Values = append(cpu.Values, fmt.Sprintf("%s %.1f us", r.Key, r.Proxy.ProxyCPU))
		if c := r.Compare; c != nil {
			cpu.Compare = append(cpu.Compare, fmt.Sprintf("%s %.1f us", r.Key, c.ProxyCPU))
			p50.Compare = append(p50.Compare, fmt.Sprintf("%s %s", r.Key, signed(c.P50-r.Direct.P50)))
		}
		cpu.OK = cpu.OK && r.Proxy.ProxyCPU <= r.CPUGoal
		p50.Values = append(p50.Values, fmt.Sprintf("%s %s", r.Key, signed(r.AddedP50())))
		p50.OK = p50.OK && micros(r.AddedP50()) <= GoalAddedP50Micros
	}
	var out []Headline
	for _, h := range []Headline{cpuW, cpuR, p50, ratio} {
		if len(h.Values) > 0 { // a ZDM_BENCH_ONLY subset may leave a goal unmeasured
			out = append(out, h)
		}
	}
	return out
}

func (h Headline) verdict() string {
	if h.OK {
		return "ok"
	}
	return "MISS"
}

// cells are the headline's columns for a tab-separated table; the
// comparison column only when a comparison proxy ran.
func (h Headline) cells(withCompare bool) string {
	c := []string{h.What + ":", strings.Join(h.Values, ", "), "goal " + h.Goal}
	if withCompare {
		c = append(c, "compare "+strings.Join(h.Compare, ", "))
	}
	return strings.Join(append(c, h.verdict()), "\t")
}
