package inventory

import (
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
type Rollout struct {
	HealthyFor       *time.Duration
	Pause            *time.Duration
	Timeout          *time.Duration
	ReconnectTimeout *time.Duration
	Reconnect        string // "before" or "none" ("" unset)
	// ParallelFirstDeploy: when no proxy of the fleet runs yet, deploy
	// every proxy at once (nil unset).
	ParallelFirstDeploy *bool
}

// Reconnect rules.
const (
	ReconnectBefore = "before" // wait until a client is back on the proxy and the fleet has the client connections it had before
	ReconnectNone   = "none"   // do not wait for clients
)

var rolloutKeys = []string{"healthy_for", "pause", "timeout", "reconnect", "reconnect_timeout", "parallel_first_deploy"}

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
		}
	})
}
