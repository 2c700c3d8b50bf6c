package inventory

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Rollout is the inventory's `rollout:` section: how zdmctl gates each
// proxy it changes. Unset fields are zero; zdmctl applies its documented
// defaults (see RolloutDefaults).
//
//	rollout:
//	  healthy_for: 1s          # stability window from the process start (crash loops)
//	  pause: 0s                # extra pause after a changed host
//	  timeout: 120s            # how long a changed proxy may take to be ready
//	  reconnect: before        # before: wait for the clients to come back; none
//	  reconnect_timeout: 60s   # bound on that wait
//	  parallel_first_deploy: true
//	  max_unavailable: 1       # proxies changed at once (a count, or a share: 10%)
type Rollout struct {
	HealthyFor       *time.Duration
	Pause            *time.Duration
	Timeout          *time.Duration
	ReconnectTimeout *time.Duration
	Reconnect        string // "before" or "none" ("" unset)
	// ParallelFirstDeploy: when no proxy of the fleet runs yet, deploy
	// every proxy at once (nil unset).
	ParallelFirstDeploy *bool
	// MaxUnavailable: how many proxies a rollout changes at once (nil
	// unset: one at a time).
	MaxUnavailable *Share
}

// Share is a count of hosts, or a percentage of them (rounded down, at
// least 1).
type Share struct {
	N       int
	Percent bool
}

func (s Share) String() string {
	if s.Percent {
		return fmt.Sprintf("%d%%", s.N)
	}
	return strconv.Itoa(s.N)
}

// ParseShare reads a count (3) or a percentage (10%) of hosts.
func ParseShare(v string) (Share, error) {
	s := Share{}
	t := strings.TrimSpace(v)
	if strings.HasSuffix(t, "%") {
		s.Percent = true
		t = strings.TrimSuffix(t, "%")
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 1 || (s.Percent && n > 100) {
		return Share{}, fmt.Errorf("want a count of hosts like 2, or a percentage like 10%%, got %q", v)
	}
	s.N = n
	return s, nil
}

// Reconnect rules.
const (
	ReconnectBefore = "before" // wait until a client is back on the proxy and the fleet has the client connections it had before
	ReconnectNone   = "none"   // do not wait for clients
)

var rolloutKeys = []string{"healthy_for", "pause", "timeout", "reconnect", "reconnect_timeout", "parallel_first_deploy", "max_unavailable"}

// RolloutSettings returns the `rollout:` section.
func (inv *Inventory) RolloutSettings() Rollout { return inv.Rollout }

func (p *parser) rollout(n *yaml.Node, field string) {
	r := &p.inv.Rollout
	p.mapping(n, field, rolloutKeys, func(k, v *yaml.Node, f string) {
		switch k.Value {
		case "healthy_for", "pause", "timeout", "reconnect_timeout":
			d, err := time.ParseDuration(v.Value)
			if v.Kind != yaml.ScalarNode || err != nil || d < 0 {
				p.errf(v, f, "want a duration like 2s or 1m30s, got %s", describe(v))
				return
			}
			switch k.Value {
			case "healthy_for":
				r.HealthyFor = &d
			case "pause":
				r.Pause = &d
			case "timeout":
				r.Timeout = &d
			case "reconnect_timeout":
				r.ReconnectTimeout = &d
			}
		case "reconnect":
			if v.Kind != yaml.ScalarNode || (v.Value != ReconnectBefore && v.Value != ReconnectNone) {
				p.errf(v, f, "want %s or %s, got %s", ReconnectBefore, ReconnectNone, describe(v))
				return
			}
			r.Reconnect = v.Value
		case "parallel_first_deploy":
			var b bool
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&b) != nil {
				p.errf(v, f, "want true or false, got %s", describe(v))
				return
			}
			r.ParallelFirstDeploy = &b
		case "max_unavailable":
			s, err := ParseShare(v.Value)
			if v.Kind != yaml.ScalarNode || err != nil {
				p.errf(v, f, "want a count of hosts like 2, or a percentage like 10%%, got %s", describe(v))
				return
			}
			r.MaxUnavailable = &s
		}
	})
}
