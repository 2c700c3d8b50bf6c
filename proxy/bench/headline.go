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
	Ref    string
	OK     bool
}

// Headlines condenses the rows into the four figures the goals are about.
func (rep *Report) Headlines() []Headline {
	cpuW := Headline{What: "proxy CPU per dual write (open loop)", OK: true,
		Goal: fmt.Sprintf("<= %.0f us", GoalWriteCPUMicros), Ref: fmt.Sprintf("%.0f us", RefWriteCPUMicros)}
	cpuR := Headline{What: "proxy CPU per read (open loop)", OK: true,
		Goal: fmt.Sprintf("<= %.0f us", GoalReadCPUMicros), Ref: fmt.Sprintf("%.0f us", RefReadCPUMicros)}
	p50 := Headline{What: "added p50 (open loop)", OK: true,
		Goal: fmt.Sprintf("<= %.0f us", GoalAddedP50Micros), Ref: fmt.Sprintf("+%.0f us", RefAddedP50Micros)}
	ratio := Headline{What: "throughput proxy/direct (closed loop)", OK: true,
		Goal: fmt.Sprintf(">= %.1fx", GoalThroughputRatio), Ref: fmt.Sprintf("%.1fx", RefThroughputRatio)}
	for _, r := range rep.Rows {
		if !r.Open {
			ratio.Values = append(ratio.Values, fmt.Sprintf("%s %.2fx (cpu-bound %.2fx)", r.Key, r.Ratio(), r.CPURatio()))
			ratio.OK = ratio.OK && r.Ratio() >= GoalThroughputRatio
			continue
		}
		cpu := &cpuR
		if r.Write {
			cpu = &cpuW
		}
		cpu.Values = append(cpu.Values, fmt.Sprintf("%s %.1f us", r.Key, r.Proxy.ProxyCPU))
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

// cells are the headline's columns for a tab-separated table.
func (h Headline) cells() string {
	return strings.Join([]string{h.What + ":", strings.Join(h.Values, ", "),
		"goal " + h.Goal, "ZDM Proxy " + h.Ref, h.verdict()}, "\t")
}
