package zdm

import (
	"fmt"
	"strings"

	"github.com/zdmctl/zdmctl/inventory"
)

// Inventory is what the fleet needs of an inventory.
type Inventory interface {
	Select(pattern string) ([]*inventory.Host, error)
	EffectiveVars(host string, overrides map[string]any) (map[string]any, error)
	Group(name string) *inventory.Group
	Host(name string) *inventory.Host
}

// Fleet is the proxies of an inventory with their rendered configs.
type Fleet struct {
	Proxies  []*inventory.Host // inventory order
	Monitors []*inventory.Host
	Configs  map[string]*Config // by host name
	Vars     map[string]map[string]any
}

// Plan renders every proxy's config from inv with overrides (the --set
// vars) and validates it; the error is one line naming the host and var.
func Plan(inv Inventory, overrides map[string]any) (*Fleet, error) {
	g := inv.Group(ProxyGroup)
	if g == nil || len(g.Hosts) == 0 {
		return nil, fmt.Errorf("inventory has no %q group with hosts: list the proxy hosts under groups.%s.hosts", ProxyGroup, ProxyGroup)
	}
	if err := checkVarNames(inv); err != nil {
		return nil, err
	}
	f := &Fleet{Configs: map[string]*Config{}, Vars: map[string]map[string]any{}}
	var addrs []string
	for _, name := range g.Hosts {
		h := inv.Host(name)
		f.Proxies = append(f.Proxies, h)
		addrs = append(addrs, h.Address)
	}
	for i, h := range f.Proxies {
		vars, err := inv.EffectiveVars(h.Name, overrides)
		if err != nil {
			return nil, err // names the host, or the file and line
		}
		cfg, err := Render(vars, Topology{Addresses: addrs, Index: i})
		if err != nil {
			return nil, locate(inv, h.Name, overrides, err)
		}
		f.Configs[h.Name] = cfg
		f.Vars[h.Name] = vars
	}
	if mg := inv.Group(MonitorGroup); mg != nil {
		for _, name := range mg.Hosts {
			f.Monitors = append(f.Monitors, inv.Host(name))
		}
	}
	if err := checkHosts(inv, f.Proxies); err != nil {
		return nil, err
	}
	if err := checkHosts(inv, f.Monitors); err != nil {
		return nil, err
	}
	return f, nil
}

// Names are the proxies' host names in order.
func (f *Fleet) Names() []string {
	out := make([]string, len(f.Proxies))
	for i, h := range f.Proxies {
		out[i] = h.Name
	}
	return out
}

// PlaybookVars are the vars the zdm playbooks read: per-host rendered
// config text, its hash and restart key, keyed by host name.
func (f *Fleet) PlaybookVars() map[string]any {
	cfg, sha, rk, cps := map[string]any{}, map[string]any{}, map[string]any{}, map[string]any{}
	for name, c := range f.Configs {
		cfg[name] = c.Text
		sha[name] = c.SHA256()
		rk[name] = c.RestartKey()
		cps[name] = strings.Join(f.ContactPoints(name), " ")
	}
	return map[string]any{"zdm_config": cfg, "zdm_config_sha256": sha, "zdm_restart_key": rk, "zdm_contact_points": cps}
}

// ContactPoints are "cluster host:port" for every origin and target contact
// point of host (for the preflight reachability check).
func (f *Fleet) ContactPoints(host string) []string {
	v := f.Configs[host].Values
	var out []string
	for _, cl := range []string{"origin", "target"} {
		port := v[cl+"_port"]
		if port == "" {
			port = "9042"
		}
		for _, cp := range splitList(v[cl+"_contact_points"]) {
			out = append(out, cl+"="+cp+":"+port)
		}
	}
	return out
}

func splitList(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}
