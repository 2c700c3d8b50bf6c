package inventory

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestSetVarsRoundTrip(t *testing.T) {
	const orig = `# Fleet inventory, edited by hand.
vars:
  # the proxy version that runs everywhere
  proxy_version: 2.1.0 # bumped by rolling-update
  origin_password: env:ORIGIN_PASSWORD
groups:
  proxies:
    hosts:
      proxy-1: {address: 10.0.0.11}
`
	path := writeInv(t, orig)
	if err := SetVars(path, map[string]any{"proxy_version": "2.2.0", "read_mode": "dual", "replicas": 3}); err != nil {
		t.Fatal(err)
	}
	baks, err := Backups(path)
	if err != nil || len(baks) != 1 {
		t.Fatalf("backups %v, %v", baks, err)
	}
	bak, err := os.ReadFile(baks[0])
	if err != nil || string(bak) != orig {
		t.Fatalf("backup = %q, %v", bak, err)
	}
	got, _ := os.ReadFile(path)
	s := string(got)
	for _, want := range []string{
		"# Fleet inventory, edited by hand.",
		"# the proxy version that runs everywhere",
		"proxy_version: 2.2.0 # bumped by rolling-update",
		"origin_password: env:ORIGIN_PASSWORD",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("lost %q in:\n%s", want, s)
		}
	}
	// Order: existing keys stay, new keys follow sorted, other sections after.
	idx := func(x string) int { return strings.Index(s, x) }
	if !(idx("proxy_version") < idx("origin_password") && idx("origin_password") < idx("read_mode") &&
		idx("read_mode") < idx("replicas") && idx("replicas") < idx("groups:")) {
		t.Errorf("order changed:\n%s", s)
	}
	inv, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"proxy_version": "2.2.0", "origin_password": "env:ORIGIN_PASSWORD", "read_mode": "dual", "replicas": 3}
	if !reflect.DeepEqual(inv.Vars, want) {
		t.Fatalf("vars %v", inv.Vars)
	}
	if inv.Host("proxy-1") == nil {
		t.Fatal("host lost")
	}
}

func TestSetVarsCreatesSection(t *testing.T) {
	for _, orig := range []string{"hosts:\n  h: {address: a}\n", "vars:\nhosts:\n  h: {address: a}\n", "vars: {a: 1}\nhosts:\n  h: {address: a}\n", ""} {
		path := writeInv(t, orig)
		if err := SetVars(path, map[string]any{"b": "x"}); err != nil {
			t.Fatalf("%q: %v", orig, err)
		}
		data, _ := os.ReadFile(path)
		inv, err := parse(path, data)
		if err != nil {
			t.Fatalf("%q: reload: %v\n%s", orig, err, data)
		}
		if inv.Vars["b"] != "x" {
			t.Fatalf("%q: vars %v\n%s", orig, inv.Vars, data)
		}
		if strings.Contains(orig, "a: 1") && inv.Vars["a"] != 1 {
			t.Fatalf("%q: lost a: %v", orig, inv.Vars)
		}
	}
}

// A second save must not overwrite the first one's backup (the operator's
// original value was lost that way), only the oldest beyond KeepBackups go,
// and a save that changes nothing writes nothing.
func TestSetVarsBackupsNeverOverwrite(t *testing.T) {
	const orig = "vars:\n    log_level:   INFO # hand-written\n"
	path := writeInv(t, orig)
	if err := SetVars(path, map[string]any{"log_level": "INFO"}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != orig {
		t.Fatalf("saving the value it has rewrote the file: %q", b)
	}
	for _, lvl := range []string{"WARN", "ERROR"} {
		if err := SetVars(path, map[string]any{"log_level": lvl}); err != nil {
			t.Fatal(err)
		}
	}
	baks, _ := Backups(path)
	if len(baks) != 2 {
		t.Fatalf("backups %v", baks)
	}
	if b, _ := os.ReadFile(baks[0]); string(b) != orig {
		t.Fatalf("oldest backup %q, want the original", b)
	}
	if b, _ := os.ReadFile(baks[1]); !strings.Contains(string(b), "WARN") {
		t.Fatalf("newest backup %q", b)
	}
	before, _ := os.ReadFile(path)
	if err := SetVars(path, map[string]any{"log_level": "ERROR"}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	if baks2, _ := Backups(path); len(baks2) != 2 || string(before) != string(after) {
		t.Fatalf("a save without change wrote: backups %v", baks2)
	}
	for i := 0; i < KeepBackups+3; i++ {
		if err := SetVars(path, map[string]any{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	if baks, _ = Backups(path); len(baks) != KeepBackups {
		t.Fatalf("%d backups kept, want %d", len(baks), KeepBackups)
	}
}
