package zdm

import (
	"fmt"
	"strings"
)

// Summary is the one-line fleet summary and whether the fleet is healthy
// (every proxy ready, no drift).
func Summary(ps []HostStatus) (string, bool) {
	ready := 0
	var drift, unknown []string
	modes, primaries := map[string]bool{}, map[string]bool{}
	for _, p := range ps {
		if p.Ready {
			ready++
		}
		switch {
		case p.DriftUnknown():
			unknown = append(unknown, p.Host)
		case p.Drifted():
			drift = append(drift, p.Host)
		}
		if p.ReadMode != "" {
			modes[p.ReadMode] = true
		}
		if p.PrimaryCluster != "" {
			primaries[p.PrimaryCluster] = true
		}
	}
	parts := []string{fmt.Sprintf("%d/%d ready", ready, len(ps))}
	parts = append(parts, "read_mode "+oneOf(modes), "primary "+oneOf(primaries))
	switch {
	case len(drift) == 0 && len(unknown) == 0:
		parts = append(parts, "no drift")
	case len(drift) > 0:
		parts = append(parts, "drift on "+strings.Join(drift, ", "))
	}
	if len(unknown) > 0 {
		parts = append(parts, "drift unknown on "+strings.Join(unknown, ", ")+" (unreachable)")
	}
	return strings.Join(parts, " · "), ready == len(ps) && len(drift) == 0 && len(unknown) == 0 && len(ps) > 0
}

func oneOf(m map[string]bool) string {
	switch len(m) {
	case 0:
		return "-"
	case 1:
		for k := range m {
			return k
		}
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return "mixed (" + strings.Join(sortStrings(ks), ", ") + ")"
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// Phase is where the migration stands, read from the live fleet.
type Phase struct {
	Number int    `json:"number"` // 0 not deployed, 1 dual writes, 3 dual reads, 4 primary Target; -1 unclear
	Name   string `json:"name"`
	Detail string `json:"detail,omitempty"`
	Next   string `json:"next"`
}

// DetectPhase names the ZDM phase of the fleet.
func DetectPhase(ps []HostStatus) Phase {
	installed, running := 0, 0
	modes, primaries := map[string]bool{}, map[string]bool{}
	var unreachable []string
	for _, p := range ps {
		if !p.Reachable {
			unreachable = append(unreachable, p.Host)
			continue
		}
		if p.Installed {
			installed++
		}
		if p.Service == "active" {
			running++
			modes[p.ReadMode] = true
			primaries[p.PrimaryCluster] = true
		}
	}
	switch {
	case len(unreachable) > 0:
		return Phase{Number: -1, Name: "unknown", Detail: "unreachable: " + strings.Join(unreachable, ", "), Next: "fix SSH access, then zdmctl status"}
	case installed == 0:
		return Phase{Number: 0, Name: "not deployed", Next: "zdmctl deploy"}
	case running < len(ps):
		return Phase{Number: -1, Name: "proxies partly running", Detail: fmt.Sprintf("%d/%d proxies running", running, len(ps)), Next: "zdmctl deploy (or zdmctl status for details)"}
	case len(modes) > 1 || len(primaries) > 1:
		return Phase{Number: -1, Name: "rollout in progress", Detail: "proxies run different read_mode/primary_cluster (a rolling-update stopped?)", Next: "zdmctl rolling-update --resume"}
	}
	switch {
	case primaries["TARGET"]:
		return Phase{Number: 4, Name: "primary switched to Target (phase 4)", Next: "point the application at Target directly (phase 5), then zdmctl teardown"}
	case modes["DUAL_ASYNC_ON_SECONDARY"]:
		return Phase{Number: 3, Name: "dual reads on (phase 3: DUAL_ASYNC_ON_SECONDARY)", Next: "zdmctl rolling-update --primary-cluster TARGET"}
	default:
		return Phase{Number: 1, Name: "proxies deployed (phase 1: dual writes)", Next: "migrate existing data (phase 2), then zdmctl rolling-update --read-mode DUAL_ASYNC_ON_SECONDARY"}
	}
}
