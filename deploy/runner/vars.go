package runner

import (
	"fmt"
	"maps"
	"sort"

	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/playbooks/tmpl"
)

// hostVars builds a host's vars for a play: inventory vars (with --set
// overrides applied), then the play's vars (rendered over them) unless
// --set overrides them too, then the registered results, then magic vars.
func hostVars(base map[string]any, h *inventory.Host, topo topology, playVars, overrides, registered map[string]any, taint *tmpl.Taint) (map[string]any, error) {
	vars := maps.Clone(base)
	if vars == nil {
		vars = map[string]any{}
	}
	vars["groups"] = topo.groups
	vars["group_addresses"] = topo.addresses
	vars["inventory_hostname"] = h.Name
	vars["host_address"] = h.Address
	groups := make([]any, len(h.Groups))
	for i, g := range h.Groups {
		groups[i] = g
	}
	vars["group_names"] = groups
	// Play vars may refer to each other: render in passes until all are
	// done or a pass makes no progress (then the first error is real).
	var pending []string
	for k := range playVars {
		if _, set := overrides[k]; !set {
			pending = append(pending, k)
		}
	}
	sort.Strings(pending)
	for len(pending) > 0 {
		var next []string
		var firstErr error
		for _, k := range pending {
			v, err := tmpl.RenderValueTainted("vars."+k, playVars[k], vars, taint)
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("play var %s: %w", k, err)
				}
				next = append(next, k)
				continue
			}
			vars[k] = v
		}
		if len(next) == len(pending) {
			return nil, firstErr
		}
		pending = next
	}
	for k, v := range registered {
		vars[k] = v
	}
	return vars, nil
}

// topology is the whole inventory's layout, for templates that need every
// peer (a proxy's list of all proxy addresses and its own index in it).
type topology struct {
	groups    map[string]any // group name -> []any of host names, inventory order
	addresses map[string]any // group name -> []any of host addresses
}

func newTopology(hosts []*inventory.Host) topology {
	t := topology{groups: map[string]any{}, addresses: map[string]any{}}
	add := func(g string, h *inventory.Host) {
		names, _ := t.groups[g].([]any)
		addrs, _ := t.addresses[g].([]any)
		addr := h.Address
		if addr == "" {
			addr = h.Name
		}
		t.groups[g] = append(names, h.Name)
		t.addresses[g] = append(addrs, addr)
	}
	for _, h := range hosts {
		add("all", h)
		for _, g := range h.Groups {
			add(g, h)
		}
	}
	return t
}

// secretValues collects the values of secret keys, recursively.
func secretValues(inv Inventory, vars map[string]any) []string {
	var out []string
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(k, e)
			}
		case []any:
			for _, e := range x {
				walk(key, e)
			}
		case nil:
		default:
			if key != "" && inv.IsSecretKey(key) {
				if s := fmt.Sprint(x); s != "" {
					out = append(out, s)
				}
			}
		}
	}
	for k, v := range vars {
		walk(k, v)
	}
	// longest first so a secret containing another is replaced whole
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// withDerived adds the values derived from secrets (see tmpl.Taint) to
// secrets, longest first.
func withDerived(secrets, derived []string) []string {
	if len(derived) == 0 {
		return secrets
	}
	out := append(append([]string(nil), secrets...), derived...)
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}
