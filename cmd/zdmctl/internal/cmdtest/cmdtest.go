// Package cmdtest has fakes for command tests: an in-memory inventory and
// a Factory wired to buffers.
package cmdtest

import (
	"bytes"
	"fmt"
	"maps"
	"path"
	"strings"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
	"gopkg.in/yaml.v3"
)

// Inventory is an in-memory inventory with the real one's pattern rules
// (all, group, host, glob, comma list, !exclusion).
type Inventory struct{ *inventory.Inventory }

var _ cmdutil.Inventory = Inventory{}

// NewInventory makes local hosts in group "proxies".
func NewInventory(hosts ...string) Inventory {
	inv := &inventory.Inventory{Path: "test-inventory.yaml", Vars: map[string]any{}}
	g := &inventory.Group{Name: "proxies", Vars: map[string]any{}}
	for _, h := range hosts {
		inv.Hosts = append(inv.Hosts, &inventory.Host{Name: h, Address: "127.0.0.1", Connection: "local", Vars: map[string]any{}, Groups: []string{"proxies"}})
		g.Hosts = append(g.Hosts, h)
	}
	inv.Groups = []*inventory.Group{g}
	return Inventory{inv}
}

func (f Inventory) Select(pattern string) ([]*inventory.Host, error) {
	in := map[string]bool{}
	for _, p := range strings.Split(pattern, ",") {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		matched := false
		for _, h := range f.Hosts {
			ok := p == "all" || p == h.Name
			if g, _ := path.Match(p, h.Name); g {
				ok = true
			}
			for _, gn := range h.Groups {
				ok = ok || gn == p
			}
			if ok {
				matched = true
				in[h.Name] = !neg
			}
		}
		if !matched {
			return nil, fmt.Errorf("pattern %q matches no host", p)
		}
	}
	var out []*inventory.Host
	for _, h := range f.Hosts {
		if in[h.Name] {
			out = append(out, h)
		}
	}
	return out, nil
}

func (f Inventory) EffectiveVars(host string, overrides map[string]any) (map[string]any, error) {
	h := f.Host(host)
	if h == nil {
		return nil, fmt.Errorf("no host %s", host)
	}
	out := maps.Clone(f.Vars)
	for _, g := range h.Groups {
		maps.Copy(out, f.Group(g).Vars)
	}
	maps.Copy(out, h.Vars)
	maps.Copy(out, overrides)
	return out, nil
}

func (f Inventory) IsSecretKey(k string) bool {
	k = strings.ToLower(k)
	return strings.HasSuffix(k, "password") || strings.HasSuffix(k, "token") || strings.HasSuffix(k, "secret")
}

func (f Inventory) Redact(vars map[string]any) map[string]any {
	out := make(map[string]any, len(vars))
	for k, v := range vars {
		switch {
		case f.IsSecretKey(k):
			out[k] = "********"
		default:
			if m, ok := v.(map[string]any); ok {
				out[k] = f.Redact(m)
			} else {
				out[k] = v
			}
		}
	}
	return out
}

// ParseSet parses key=value with YAML scalar values.
func ParseSet(pairs []string) (map[string]any, error) {
	out := map[string]any{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q: want key=value", p)
		}
		var val any
		if err := yaml.Unmarshal([]byte(v), &val); err != nil {
			return nil, err
		}
		out[k] = val
	}
	return out, nil
}

// Factory returns a Factory over inv (nil: loading fails) with buffers
// for stdout and stderr, local connections and no signal handling.
func Factory(inv cmdutil.Inventory) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	io, out, errOut := cmdutil.Test()
	f := cmdutil.New(io)
	f.LoadInventory = func(p string) (cmdutil.Inventory, error) {
		if inv == nil {
			return nil, fmt.Errorf("%s:3: hosts: bad", p)
		}
		return inv, nil
	}
	f.ParseSet = ParseSet
	f.Dial = func(transport.DialOptions) runner.DialFunc { return runner.DialWith(transport.DialOptions{}) }
	f.Contexts = cmdutil.NoSignals
	f.Settings = &cmdutil.Settings{Inventory: "inv.yaml", Forks: 10, Output: "text"}
	return f, out, errOut
}
