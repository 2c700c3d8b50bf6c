package zdm

import (
	"errors"
	"strings"
	"testing"
)

// fakeProm answers a query from the key it starts with (the keys are
// prefixes of distinct queries).
func fakeProm(answers map[string]float64) Querier {
	return func(q string) (float64, bool, error) {
		for k, v := range answers {
			if strings.HasPrefix(q, k) {
				return v, true, nil
			}
		}
		return 0, false, nil
	}
}

func checkNamed(t *testing.T, checks []Check, prefix string) Check {
	t.Helper()
	for _, c := range checks {
		if strings.HasPrefix(c.Name, prefix) {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", prefix, checks)
	return Check{}
}

func TestGatesBeforePrimaryTarget(t *testing.T) {
	no := false // reachable, drift judged: none (nil would be "unknown")
	ps := []HostStatus{{Host: "p1", Reachable: true, Ready: true, Drift: &no}, {Host: "p2", Reachable: true, Ready: true, Drift: &no}}
	s, err := GateSettingsFrom(map[string]any{"gate_window": "10m"})
	if err != nil {
		t.Fatal(err)
	}
	healthy := map[string]float64{"count(up": 2, "(sum((zdm_async_read_mismatch_total": 0, "sum(increase(zdm_async_read_compared_total": 120, "sum(increase(zdm_proxy_failed_writes_total": 0, "histogram_quantile": 1.3}
	next, checks := Gates(Phase{Number: 3}, ps, s, fakeProm(healthy))
	if next != "zdmctl rolling-update --primary-cluster TARGET" {
		t.Errorf("next %q", next)
	}
	for _, c := range checks {
		if !c.Pass {
			t.Errorf("healthy fleet: %+v fails", c)
		}
		if c.Query != "" && !strings.Contains(c.Query, "[10m]") && !strings.HasPrefix(c.Query, "count(up") {
			t.Errorf("%s: window not applied: %s", c.Name, c.Query)
		}
	}
	// Mismatches injected: the rate check fails with its value.
	bad := map[string]float64{"count(up": 2, "(sum((zdm_async_read_mismatch_total": 0.25, "sum(increase(zdm_async_read_compared_total": 120, "sum(increase(zdm_proxy_failed_writes_total": 0, "histogram_quantile": 1.3}
	_, checks = Gates(Phase{Number: 3}, ps, s, fakeProm(bad))
	if c := checkNamed(t, checks, "async read mismatch rate"); c.Pass || c.Value != "0.25" {
		t.Errorf("mismatch rate 0.25 passed or misreported: %+v", c)
	}
	// Nothing compared yet: no evidence is a fail, not a pass.
	_, checks = Gates(Phase{Number: 3}, ps, s, fakeProm(map[string]float64{"count(up": 2}))
	if c := checkNamed(t, checks, "async reads compared"); c.Pass {
		t.Errorf("no reads compared passed: %+v", c)
	}
	// Target slower than the factor allows; a proxy not ready.
	slow := map[string]float64{"count(up": 2, "sum(increase(zdm_async_read_compared_total": 120, "sum(increase(zdm_proxy_failed_writes_total": 0, "histogram_quantile": 3.5}
	ps[1].Ready = false
	_, checks = Gates(Phase{Number: 3}, ps, s, fakeProm(slow))
	if c := checkNamed(t, checks, "Target p99 read latency"); c.Pass || c.Value != "3.5" {
		t.Errorf("latency 3.5x passed: %+v", c)
	}
	if c := checkNamed(t, checks, "every proxy ready"); c.Pass {
		t.Errorf("a proxy not ready passed: %+v", c)
	}
}

func TestGatesOtherPhases(t *testing.T) {
	no := false
	ps := []HostStatus{{Host: "p1", Reachable: true, Ready: true, ClientConnections: 3, Drift: &no}, {Host: "p2", Reachable: true, Ready: true, Drift: &no}}
	s, _ := GateSettingsFrom(nil)
	next, checks := Gates(Phase{Number: 1}, ps, s, fakeProm(map[string]float64{"count(up": 2, "sum(increase(zdm_proxy_failed_writes_total": 4}))
	if !strings.Contains(next, "DUAL_ASYNC_ON_SECONDARY") {
		t.Errorf("next %q", next)
	}
	if c := checkNamed(t, checks, "no client write failed"); c.Pass || c.Value != "4" || !strings.Contains(c.Query, "[15m]") {
		t.Errorf("4 failed writes: %+v", c)
	}
	// Without Prometheus, metric checks are not passed silently.
	_, checks = Gates(Phase{Number: 1}, ps, s, nil)
	if c := checkNamed(t, checks, "no client write failed"); c.Pass || !c.Skipped || !strings.Contains(c.Error, "no Prometheus") {
		t.Errorf("no Prometheus: %+v", c)
	}
	// ... they are skipped, not failing: only the fleet check can block.
	if f := Failing(checks); len(f) != 0 {
		t.Errorf("failing without Prometheus on a healthy fleet: %+v", f)
	}
	ps[1].Ready = false
	if f := Failing(GatesBefore(StepDualReads, ps, s, nil)); len(f) != 1 || !strings.HasPrefix(f[0].Name, "every proxy ready") || f[0].Value == "" {
		t.Errorf("a proxy not ready: failing %+v", f)
	}
	ps[1].Ready = true
	// A query error is shown, and fails the check.
	_, checks = Gates(Phase{Number: 1}, ps, s, func(string) (float64, bool, error) { return 0, false, errors.New("connection refused") })
	if c := checkNamed(t, checks, "Prometheus scrapes"); c.Pass || c.Error != "connection refused" {
		t.Errorf("query error: %+v", c)
	}
	_, checks = Gates(Phase{Number: 4}, ps, s, nil)
	if len(checks) != 1 || checks[0].Pass || checks[0].Value != "3 (p1 3)" {
		t.Errorf("clients left before teardown: %+v", checks)
	}
	ps[0].ClientConnections = 0
	if _, checks = Gates(Phase{Number: 4}, ps, s, nil); !checks[0].Pass {
		t.Errorf("no client left: %+v", checks)
	}
}

func TestGateSettingsErrors(t *testing.T) {
	for k, v := range map[string]any{"gate_window": "soon", "gate_max_mismatch_rate": "2", "gate_target_latency_factor": "0.5"} {
		if _, err := GateSettingsFrom(map[string]any{k: v}); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%v: %v", k, v, err)
		}
	}
}
