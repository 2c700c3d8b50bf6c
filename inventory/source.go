package inventory

import (
	"cmp"
	"slices"
)

// Source is the place in the inventory file that sets a var.
type Source struct {
	File  string
	Line  int
	Field string // dotted path, e.g. groups.proxies.vars.read_mode
}

// Err is an Error about the var at s.
func (s Source) Err(msg string) *Error {
	return &Error{File: s.File, Line: s.Line, Field: s.Field, Msg: msg}
}

func groupScope(name string) string { return "group/" + name }
func hostScope(name string) string  { return "host/" + name }

func (inv *Inventory) setSource(scope, key string, s Source) {
	if inv.sources == nil {
		inv.sources = map[string]map[string]Source{}
	}
	m := inv.sources[scope]
	if m == nil {
		m = map[string]Source{}
		inv.sources[scope] = m
	}
	m[key] = s
}

// VarSource says where the file sets the value of key that host gets from
// EffectiveVars (before overrides): its host vars, else the last declared
// of its groups that sets it, else the global vars. ok is false when the
// file does not set key for host.
func (inv *Inventory) VarSource(host, key string) (s Source, ok bool) {
	if s, ok = inv.sources[hostScope(host)][key]; ok {
		return s, true
	}
	for i := len(inv.Groups) - 1; i >= 0; i-- {
		g := inv.Groups[i]
		if !contains(g.Hosts, host) {
			continue
		}
		if s, ok = inv.sources[groupScope(g.Name)][key]; ok {
			return s, true
		}
	}
	s, ok = inv.sources[""][key]
	return s, ok
}

// VarSources lists every var the file sets, in any scope, with its place,
// ordered by line.
func (inv *Inventory) VarSources() []VarAt {
	var out []VarAt
	for _, m := range inv.sources {
		for k, s := range m {
			out = append(out, VarAt{Key: k, Source: s})
		}
	}
	slices.SortFunc(out, func(a, b VarAt) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Field, b.Field))
	})
	return out
}

// VarAt is a var name and where the file sets it.
type VarAt struct {
	Key string
	Source
}
