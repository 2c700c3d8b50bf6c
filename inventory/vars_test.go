package inventory

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestEffectiveVarsPrecedence(t *testing.T) {
	t.Setenv("ZDM_TEST_ORIGIN_PASSWORD", "s3cret")
	inv, err := Load(writeInv(t, sample))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		host      string
		overrides map[string]any
		want      map[string]any
	}{
		// proxy-1 is in proxies then monitoring: monitoring (declared later) wins over
		// proxies, the host wins over both.
		{"proxy-1", nil, map[string]any{"level": "host", "grp": "m"}},
		{"proxy-2", nil, map[string]any{"level": "proxies", "grp": "p"}},
		{"mon-1", nil, map[string]any{"level": "monitoring", "grp": "m"}},
		{"laptop", nil, map[string]any{"level": "global"}},
		{"proxy-1", map[string]any{"level": "cli", "port_hint": 7}, map[string]any{"level": "cli", "grp": "m", "port_hint": 7}},
	}
	for _, c := range cases {
		got, err := inv.EffectiveVars(c.host, c.overrides)
		if err != nil {
			t.Fatal(err)
		}
		if got["origin_password"] != "s3cret" || got["origin_contact_points"] != "10.0.0.1,10.0.0.2" {
			t.Fatalf("%s: globals not applied/resolved: %v", c.host, inv.Redact(got))
		}
		for k, v := range c.want {
			if !reflect.DeepEqual(got[k], v) {
				t.Errorf("%s %v: %s = %v, want %v", c.host, c.overrides, k, got[k], v)
			}
		}
		if _, ok := c.want["grp"]; !ok {
			if _, has := got["grp"]; has {
				t.Errorf("%s: unexpected grp", c.host)
			}
		}
	}
	// The inventory itself keeps the reference, not the secret.
	if inv.Vars["origin_password"] != "env:ZDM_TEST_ORIGIN_PASSWORD" {
		t.Fatalf("inventory vars modified: %v", inv.Vars["origin_password"])
	}
	if _, err := inv.EffectiveVars("nope", nil); err == nil {
		t.Fatal("unknown host accepted")
	}
}

func TestEffectiveVarsReferences(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tok"), []byte("file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inv := &Inventory{Path: filepath.Join(dir, "inventory.yaml"), Vars: map[string]any{
		"rel":    "file:tok",
		"abs":    "file:" + filepath.Join(dir, "tok"),
		"nested": map[string]any{"list": []any{"env:ZDM_TEST_NESTED", 3}},
		"plain":  "environment: fine",
	}, Hosts: []*Host{{Name: "h1"}}}
	t.Setenv("ZDM_TEST_NESTED", "n")
	got, err := inv.EffectiveVars("h1", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"rel": "file-secret", "abs": "file-secret", "plain": "environment: fine",
		"nested": map[string]any{"list": []any{"n", 3}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if inv.Vars["nested"].(map[string]any)["list"].([]any)[0] != "env:ZDM_TEST_NESTED" {
		t.Fatal("resolution modified the inventory")
	}
}

func TestEffectiveVarsReferenceErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		val      string
		wantPart []string
	}{
		{"env:ZDM_TEST_SURELY_UNSET", []string{"host h1: var api_key: environment variable ZDM_TEST_SURELY_UNSET is not set"}},
		{"file:missing.txt", []string{"host h1: var api_key: read secret file: open " + filepath.Join(dir, "missing.txt") + ": no such file or directory"}},
	}
	for _, c := range cases {
		inv := &Inventory{Path: filepath.Join(dir, "i.yaml"), Vars: map[string]any{"api_key": c.val}, Hosts: []*Host{{Name: "h1"}}}
		_, err := inv.EffectiveVars("h1", nil)
		if err == nil {
			t.Fatalf("%s: no error", c.val)
		}
		for _, p := range c.wantPart {
			if err.Error() != p {
				t.Errorf("got %q want %q", err, p)
			}
		}
	}
	// A file that exists but cannot be read names the key, never content.
	secretFile := filepath.Join(dir, "dir-not-file")
	os.Mkdir(secretFile, 0o700)
	inv := &Inventory{Path: filepath.Join(dir, "i.yaml"), Vars: map[string]any{"pw": "file:" + secretFile}, Hosts: []*Host{{Name: "h1"}}}
	if _, err := inv.EffectiveVars("h1", nil); err == nil || !strings.Contains(err.Error(), "var pw:") {
		t.Fatalf("err = %v", err)
	}
}

func TestRedact(t *testing.T) {
	inv, err := parse("i.yaml", []byte("secret_vars: [my_api_key]\nvars:\n  via_ref: env:X\nhosts:\n  h: {address: a}\n"))
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]any{
		"origin_password": "p", "Target_PASSWORD": "p", "auth_token": "t", "ClientSecret": "s",
		"my_api_key": "k", "MY_API_KEY": "k", "via_ref": "resolved", "user": "cassandra",
		"nested":     map[string]any{"password": "p", "host": "x"},
		"list":       []any{map[string]any{"token": "t", "n": 1}, "plain"},
		"passwords_": "not secret (suffix differs)",
	}
	got := inv.Redact(in)
	want := map[string]any{
		"origin_password": Redacted, "Target_PASSWORD": Redacted, "auth_token": Redacted, "ClientSecret": Redacted,
		"my_api_key": Redacted, "MY_API_KEY": Redacted, "via_ref": Redacted, "user": "cassandra",
		"nested":     map[string]any{"password": Redacted, "host": "x"},
		"list":       []any{map[string]any{"token": Redacted, "n": 1}, "plain"},
		"passwords_": "not secret (suffix differs)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if in["origin_password"] != "p" || in["nested"].(map[string]any)["password"] != "p" {
		t.Fatal("Redact modified its input")
	}
}

func TestSelect(t *testing.T) {
	inv, err := Load(writeInv(t, sample))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		pattern string
		want    []string
		err     string
	}{
		{"all", []string{"proxy-1", "proxy-2", "mon-1", "laptop"}, ""},
		{"proxies", []string{"proxy-1", "proxy-2"}, ""},
		{"monitoring", []string{"proxy-1", "mon-1"}, ""},
		{"mon-1", []string{"mon-1"}, ""},
		{"proxy-*", []string{"proxy-1", "proxy-2"}, ""},
		{"mon*", []string{"proxy-1", "mon-1"}, ""}, // matches group monitoring and host mon-1
		{"proxies, mon-1", []string{"proxy-1", "proxy-2", "mon-1"}, ""},
		{"all,!monitoring", []string{"proxy-2", "laptop"}, ""},
		{"!proxies", []string{"mon-1", "laptop"}, ""},
		{"proxies,!proxy-1", []string{"proxy-2"}, ""},
		{"proxy-?,!proxy-[12]", []string{}, ""},
		{"proxies,nope", nil, `host pattern entry "nope" matches no host or group`},
		{"all,!zz*", nil, `host pattern entry "zz*" matches no host or group`},
		{" , ", nil, `empty host pattern`},
		{"[", nil, `host pattern entry "[": bad glob: syntax error in pattern`},
	}
	for _, c := range cases {
		hosts, err := inv.Select(c.pattern)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: err %v, want %s", c.pattern, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.pattern, err)
			continue
		}
		names := []string{}
		for _, h := range hosts {
			names = append(names, h.Name)
		}
		if !reflect.DeepEqual(names, c.want) {
			t.Errorf("%q: got %v want %v", c.pattern, names, c.want)
		}
	}
}

func TestParseSet(t *testing.T) {
	got, err := ParseSet([]string{"n=3", "b=true", "f=1.5", "s=hello", "q=\"3\"", "e=", "kv=a: b", "eq=x=y", "ref=env:FOO", "nul=null", "b=false"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"n": 3, "b": false, "f": 1.5, "s": "hello", "q": "3", "e": "", "kv": "a: b", "eq": "x=y",
		"ref": "env:FOO", "nul": nil}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	for _, bad := range []string{"novalue", "=x"} {
		if _, err := ParseSet([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParseSet([]string{"=hunter2"}); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks value: %v", err)
	}
}
