package inventory

import (
	"fmt"
	"path"
	"strings"
)

// Select returns the hosts matching pattern, in inventory order. A pattern is
// "all", a group name, a host name, a glob (*, ?, [..] over host and group
// names), or a comma-separated list of those; an entry starting with "!"
// excludes. When every entry excludes, they exclude from all hosts. An entry
// that matches nothing is an error naming it.
func (inv *Inventory) Select(pattern string) ([]*Host, error) {
	include := map[string]bool{}
	exclude := map[string]bool{}
	anyInclude := false
	entries := 0
	for _, raw := range strings.Split(pattern, ",") {
		e := strings.TrimSpace(raw)
		if e == "" {
			continue
		}
		entries++
		target := include
		if strings.HasPrefix(e, "!") {
			target = exclude
			e = strings.TrimSpace(e[1:])
		} else {
			anyInclude = true
		}
		names, err := inv.match(e)
		if err != nil {
			return nil, err
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("host pattern entry %q matches no host or group", e)
		}
		for _, n := range names {
			target[n] = true
		}
	}
	if entries == 0 {
		return nil, fmt.Errorf("empty host pattern")
	}
	out := []*Host{}
	for _, h := range inv.Hosts {
		if (include[h.Name] || !anyInclude) && !exclude[h.Name] {
			out = append(out, h)
		}
	}
	return out, nil
}

// match returns the host names one pattern entry stands for.
func (inv *Inventory) match(e string) ([]string, error) {
	if e == "all" || e == "*" {
		names := make([]string, len(inv.Hosts))
		for i, h := range inv.Hosts {
			names[i] = h.Name
		}
		return names, nil
	}
	if g := inv.Group(e); g != nil {
		return g.Hosts, nil
	}
	if h := inv.Host(e); h != nil {
		return []string{h.Name}, nil
	}
	if !strings.ContainsAny(e, "*?[") {
		return nil, nil
	}
	if _, err := path.Match(e, ""); err != nil {
		return nil, fmt.Errorf("host pattern entry %q: bad glob: %w", e, err)
	}
	var names []string
	for _, g := range inv.Groups {
		if ok, _ := path.Match(e, g.Name); ok {
			names = append(names, g.Hosts...)
		}
	}
	for _, h := range inv.Hosts {
		if ok, _ := path.Match(e, h.Name); ok {
			names = append(names, h.Name)
		}
	}
	return names, nil
}
