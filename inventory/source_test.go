package inventory

import (
	"fmt"
	"testing"
)

// VarSource follows EffectiveVars' precedence: host vars, then the last
// declared of the host's groups, then global vars.
func TestVarSourcePrecedence(t *testing.T) {
	p := writeInv(t, `vars:
  a: global
  b: global
  c: global
groups:
  first:
    vars: {b: first, c: first}
    hosts:
      h1: {address: 10.0.0.1, vars: {a: host}}
      h2: {address: 10.0.0.2}
  second:
    vars:
      c: second
    hosts:
      h1:
`)
	inv, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ host, key, want string }{
		{"h1", "a", "9: groups.first.hosts.h1.vars.a"},
		{"h1", "b", "7: groups.first.vars.b"},
		{"h1", "c", "13: groups.second.vars.c"},
		{"h2", "c", "7: groups.first.vars.c"},
		{"h2", "a", "2: vars.a"},
	} {
		s, ok := inv.VarSource(tc.host, tc.key)
		if got := fmt.Sprintf("%d: %s", s.Line, s.Field); !ok || got != tc.want || s.File != p {
			t.Errorf("VarSource(%s, %s) = %v %v, want %s:%s", tc.host, tc.key, s, ok, p, tc.want)
		}
		vars, _ := inv.EffectiveVars(tc.host, nil)
		if tc.key == "c" && tc.host == "h1" && vars["c"] != "second" {
			t.Errorf("EffectiveVars disagrees: c = %v", vars["c"])
		}
	}
	if _, ok := inv.VarSource("h2", "zzz"); ok {
		t.Error("VarSource found an unset var")
	}
	if got := len(inv.VarSources()); got != 7 {
		t.Errorf("VarSources: %d entries, want 7", got)
	}
}
