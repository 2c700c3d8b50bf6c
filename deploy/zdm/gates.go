package zdm

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/zdmctl/zdmctl/monitoring"
)

// Go/no-go gates between migration phases (docs/migration.md): the checks
// that must hold before the next phase's command, each with its live
// value. Fleet checks come from the status probe; metric checks from the
// inventory's Prometheus over the gate window.

// Gate defaults (inventory vars gate_*).
const (
	DefaultGateWindow          = "15m"
	DefaultGateMismatchRate    = 0.0
	DefaultGateLatencyFactor   = 2.0
	gateNoPrometheus           = "no Prometheus in the inventory (a monitoring group): not checked"
	nextAfterPhase1            = "zdmctl rolling-update --read-mode DUAL_ASYNC_ON_SECONDARY"
	nextAfterPhase3            = "zdmctl rolling-update --primary-cluster TARGET"
	nextAfterPhase4            = "point the application at Target, then zdmctl teardown"
	gateVarWindow              = "gate_window"
	gateVarMismatchRate        = "gate_max_mismatch_rate"
	gateVarTargetLatencyFactor = "gate_target_latency_factor"
)

// GateVars are the inventory vars of the gates.
var GateVars = []string{gateVarWindow, gateVarMismatchRate, gateVarTargetLatencyFactor}

// GateSettings are the gates' thresholds.
type GateSettings struct {
	Window          string  // Prometheus duration the metric checks cover
	MaxMismatchRate float64 // async read mismatches / compared, at most
	LatencyFactor   float64 // Target p99 read latency / Origin's, at most
}

// GateSettingsFrom reads the gate_* vars (defaults where unset).
func GateSettingsFrom(vars map[string]any) (GateSettings, error) {
	s := GateSettings{Window: strVar(vars, gateVarWindow, DefaultGateWindow), MaxMismatchRate: DefaultGateMismatchRate, LatencyFactor: DefaultGateLatencyFactor}
	if _, err := monitoring.ParseDuration(s.Window); err != nil {
		return s, varErrorf(gateVarWindow, "%q: %w", s.Window, err)
	}
	var err error
	if s.MaxMismatchRate, err = floatVar(vars, gateVarMismatchRate, s.MaxMismatchRate, 0, 1); err != nil {
		return s, err
	}
	if s.LatencyFactor, err = floatVar(vars, gateVarTargetLatencyFactor, s.LatencyFactor, 1, 1000); err != nil {
		return s, err
	}
	return s, nil
}

func floatVar(vars map[string]any, key string, def, lo, hi float64) (float64, error) {
	v := strVar(vars, key, "")
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < lo || f > hi || math.IsNaN(f) {
		return 0, varErrorf(key, "%q: allowed a number from %g to %g", v, lo, hi)
	}
	return f, nil
}

// Check is one go/no-go check with its live value.
type Check struct {
	Name  string `json:"name"`
	Query string `json:"query,omitempty"` // PromQL, for metric checks
	Value string `json:"value"`
	Want  string `json:"want"`
	Pass  bool   `json:"pass"`
	Error string `json:"error,omitempty"`
	// Skipped: a metric check without a Prometheus in the inventory (not
	// passed: phase reports it as SKIP, and rollouts do not block on it).
	Skipped bool `json:"skipped,omitempty"`
}

// Failing are the checks that were evaluated and failed (skipped checks
// are not among them).
func Failing(checks []Check) []Check {
	var out []Check
	for _, c := range checks {
		if !c.Pass && !c.Skipped {
			out = append(out, c)
		}
	}
	return out
}

// Gate steps: the commands the gates stand before (GatesBefore).
const (
	StepDualReads     = 1 // rolling-update --read-mode DUAL_ASYNC_ON_SECONDARY
	StepPrimaryTarget = 3 // rolling-update --primary-cluster TARGET
	StepTeardown      = 4 // teardown
)

// GatesBefore are the checks before step (a Step* constant), whatever
// phase the fleet is in: the rollout commands enforce these.
func GatesBefore(step int, ps []HostStatus, s GateSettings, q Querier) []Check {
	_, checks := Gates(Phase{Number: step}, ps, s, q)
	return checks
}

// Querier evaluates an instant PromQL query to one number; ok is false
// when the result is empty. nil: no Prometheus.
type Querier func(promql string) (value float64, ok bool, err error)

// Gates are the checks before the command that follows phase ph.
func Gates(ph Phase, ps []HostStatus, s GateSettings, q Querier) (next string, checks []Check) {
	w := s.Window
	job := `job="` + monitoring.Job + `"`
	fleet := func() Check {
		sum, ok := Summary(ps)
		return Check{Name: "every proxy ready, no drift", Value: sum, Want: "all ready, no drift", Pass: ok}
	}
	scraped := metricCheck(q, "Prometheus scrapes every proxy", fmt.Sprintf(`count(up{%s} == 1)`, job),
		fmt.Sprintf("= %d", len(ps)), func(v float64, ok bool) bool { return ok && int(v) == len(ps) }, "0")
	noFailedWrites := func(name, sel string) Check {
		return metricCheck(q, name, fmt.Sprintf(`sum(increase(zdm_proxy_failed_writes_total{%s%s}[%s]))`, job, sel, w),
			"0", func(v float64, ok bool) bool { return !ok || v < 0.5 }, "0")
	}
	switch ph.Number {
	case 1:
		return nextAfterPhase1, []Check{fleet(), scraped, noFailedWrites("no client write failed, on either cluster, over "+w, "")}
	case 3:
		compared := fmt.Sprintf(`sum(increase(zdm_async_read_compared_total{%s}[%s]))`, job, w)
		// The mismatch counter of a table appears at its first mismatch:
		// increase() would miss the counts of a series born in the window,
		// so such a series counts whole.
		mm := fmt.Sprintf(`zdm_async_read_mismatch_total{%s}`, job)
		mismatched := fmt.Sprintf(`sum((%s unless %s offset %s) or increase(%s[%s]))`, mm, mm, w, mm, w)
		p99 := func(cluster string) string {
			return fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(zdm_%s_request_duration_seconds_bucket{%s, type="reads"}[%s])))`, cluster, job, w)
		}
		return nextAfterPhase3, []Check{
			fleet(), scraped,
			metricCheck(q, "async reads compared over "+w, compared, "> 0", func(v float64, ok bool) bool { return ok && v >= 0.5 }, "0"),
			metricCheck(q, "async read mismatch rate over "+w, fmt.Sprintf(`(%s or vector(0)) / %s`, mismatched, compared),
				"<= "+strconv.FormatFloat(s.MaxMismatchRate, 'g', -1, 64), func(v float64, ok bool) bool { return ok && v <= s.MaxMismatchRate }, "no reads compared"),
			noFailedWrites("no client write failed on Target over "+w, `, failed_on=~"target|both"`),
			metricCheck(q, "Target p99 read latency within "+strconv.FormatFloat(s.LatencyFactor, 'g', -1, 64)+"x Origin's over "+w,
				p99("async")+" / "+p99("origin"), "<= "+strconv.FormatFloat(s.LatencyFactor, 'g', -1, 64),
				func(v float64, ok bool) bool { return ok && v <= s.LatencyFactor }, "no reads on both"),
		}
	case 4:
		var clients int64
		var on []string
		for _, p := range ps {
			clients += p.ClientConnections
			if p.ClientConnections > 0 {
				on = append(on, fmt.Sprintf("%s %d", p.Host, p.ClientConnections))
			}
		}
		v := "0"
		if clients > 0 {
			v = fmt.Sprintf("%d (%s)", clients, strings.Join(on, ", "))
		}
		return nextAfterPhase4, []Check{{Name: "clients gone from the proxies (before teardown)", Value: v, Want: "0", Pass: clients == 0}}
	}
	return ph.Next, nil
}

// metricCheck runs one PromQL check; empty is how an empty result reads.
func metricCheck(q Querier, name, query, want string, pass func(float64, bool) bool, empty string) Check {
	c := Check{Name: name, Query: query, Want: want}
	if q == nil {
		c.Value, c.Error, c.Skipped = "-", gateNoPrometheus, true
		return c
	}
	v, ok, err := q(query)
	switch {
	case err != nil:
		c.Value, c.Error = "-", err.Error()
		return c
	case !ok:
		c.Value = empty
	default:
		c.Value = strconv.FormatFloat(v, 'g', 4, 64)
	}
	c.Pass = pass(v, ok)
	return c
}
