package zdm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func baseVars() map[string]any {
	return map[string]any{
		"origin_contact_points": "10.0.0.1, 10.0.0.2",
		"origin_password":       `pa"ss`,
		"target_contact_points": []any{"10.1.0.1"},
		"target_port":           9043,
	}
}

func TestRenderIsDeterministicAndComplete(t *testing.T) {
	topo := Topology{Addresses: []string{"10.9.0.1", "10.9.0.2"}, Index: 1}
	a, err := Render(baseVars(), topo)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Render(baseVars(), topo)
	if a.Text != b.Text || a.SHA256() != b.SHA256() {
		t.Fatal("same inputs rendered differently")
	}
	for _, want := range []string{
		`origin_contact_points: "10.0.0.1,10.0.0.2"`,
		`target_contact_points: "10.1.0.1"`,
		"target_port: 9043\n",
		`origin_password: "pa\"ss"`,
		`read_mode: "PRIMARY_ONLY"`,
		`primary_cluster: "ORIGIN"`,
		`proxy_topology_addresses: "10.9.0.1,10.9.0.2"`,
		"proxy_topology_index: 1\n",
	} {
		if !strings.Contains(a.Text, want) {
			t.Errorf("missing %q in:\n%s", want, a.Text)
		}
	}
	if strings.Contains(a.Text, "origin_tls") {
		t.Error("unset TLS keys rendered")
	}
	if Hash([]byte(a.Text)) != a.SHA256() {
		t.Error("SHA256 is not the hash of the text")
	}
}

func TestValidateBadInputs(t *testing.T) {
	for name, tc := range map[string]struct {
		set  map[string]any
		del  string
		want string
	}{
		"missing origin": {del: "origin_contact_points", want: "var origin_contact_points is required"},
		"read_mode typo": {set: map[string]any{"read_mode": "DUAL_ASYNC"}, want: `var read_mode: "DUAL_ASYNC": allowed PRIMARY_ONLY, DUAL_ASYNC_ON_SECONDARY`},
		"port range":     {set: map[string]any{"origin_port": 70000}, want: "var origin_port"},
		"port in cp":     {set: map[string]any{"target_contact_points": "10.0.0.1/9042"}, want: "give ports in the _port var"},
		"bool":           {set: map[string]any{"proxy_tls_require_client_auth": "maybe"}, want: "allowed true or false"},
	} {
		t.Run(name, func(t *testing.T) {
			v := baseVars()
			delete(v, tc.del)
			for k, x := range tc.set {
				v[k] = x
			}
			err := Validate(v)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want one line with %q", err, tc.want)
			}
		})
	}
	v := baseVars()
	v["read_mode"] = "dual_async_on_secondary"
	c, err := Render(v, Topology{})
	if err != nil || c.Values["read_mode"] != "DUAL_ASYNC_ON_SECONDARY" {
		t.Fatalf("case-insensitive enum: %v %v", err, c)
	}
}

func TestRestartKeyIgnoresReloadableKeys(t *testing.T) {
	topo := Topology{Addresses: []string{"a", "b"}}
	base, _ := Render(baseVars(), topo)
	for key, val := range map[string]any{"read_mode": "DUAL_ASYNC_ON_SECONDARY", "primary_cluster": "TARGET", "log_level": "DEBUG", "proxy_request_timeout_ms": 5, "heartbeat_interval_ms": 1000, "proxy_max_client_connections": 7} {
		v := baseVars()
		v[key] = val
		c, _ := Render(v, topo)
		if c.SHA256() == base.SHA256() {
			t.Errorf("%s: hash unchanged", key)
		}
		if c.RestartKey() != base.RestartKey() {
			t.Errorf("%s is live-reloadable but changes the restart key", key)
		}
	}
	for key, val := range map[string]any{"proxy_max_stream_ids": 1024, "origin_port": 9999, "metrics_port": 14002} {
		v := baseVars()
		v[key] = val
		c, _ := Render(v, topo)
		if c.RestartKey() == base.RestartKey() {
			t.Errorf("%s needs a restart but keeps the restart key", key)
		}
	}
	moved, _ := Render(baseVars(), Topology{Addresses: []string{"a", "b"}, Index: 1})
	if moved.RestartKey() == base.RestartKey() {
		t.Error("topology index change keeps the restart key")
	}
	if !Reloadable("read_mode") || Reloadable("origin_port") {
		t.Error("Reloadable")
	}
}

func TestJournalRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := JournalPath(filepath.Join(dir, "prod.yaml"))
	if p != filepath.Join(dir, ".zdmctl", "journal-prod.json") {
		t.Fatalf("path %s", p)
	}
	j := NewJournal(p, "rolling-update", "r1", map[string]string{"p1": "aa"})
	if err := j.MarkDone("p1"); err != nil {
		t.Fatal(err)
	}
	if err := j.MarkFailed("p2", "readiness: timeout"); err != nil {
		t.Fatal(err)
	}
	got, err := LoadJournal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !got.IsDone("p1") || got.IsDone("p2") || got.Failed != "p2" || got.Target["p1"] != "aa" {
		t.Fatalf("loaded %+v", got)
	}
	if err := got.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("journal not removed")
	}
}

func TestHTTPResponseAndHolder(t *testing.T) {
	// base64 of "HTTP/1.0 503 Service Unavailable\r\n\r\n{\"ready\":false}"
	code, body := httpResponse("SFRUUC8xLjAgNTAzIFNlcnZpY2UgVW5hdmFpbGFibGUNCg0KeyJyZWFkeSI6ZmFsc2V9")
	if code != 503 || string(body) != `{"ready":false}` {
		t.Fatalf("got %d %q", code, body)
	}
	if c, _ := httpResponse(""); c != 0 {
		t.Fatal("empty response has a code")
	}
	h := parseHolder("bob@ws 42 1700000000")
	if h.Holder != "bob@ws" || h.PID != 42 || !h.Since.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("holder %+v", h)
	}
	e := &LockedError{Host: "p1", Holder: h, Age: 90 * time.Second}
	if !strings.Contains(e.Error(), "held by bob@ws pid 42 for 1m30s") {
		t.Fatal(e.Error())
	}
}

func TestSummaryAndPhase(t *testing.T) {
	no := false
	ready := func(name, mode, primary string) HostStatus {
		return HostStatus{Host: name, Reachable: true, Installed: true, Service: "active", Ready: true, ReadMode: mode, PrimaryCluster: primary, Drift: &no}
	}
	ps := []HostStatus{ready("a", "DUAL_ASYNC_ON_SECONDARY", "ORIGIN"), ready("b", "DUAL_ASYNC_ON_SECONDARY", "ORIGIN"), ready("c", "DUAL_ASYNC_ON_SECONDARY", "ORIGIN")}
	s, ok := Summary(ps)
	if !ok || s != "3/3 ready · read_mode DUAL_ASYNC_ON_SECONDARY · primary ORIGIN · no drift" {
		t.Fatalf("%q %v", s, ok)
	}
	if p := DetectPhase(ps); p.Number != 3 || !strings.Contains(p.Next, "--primary-cluster TARGET") {
		t.Fatalf("%+v", p)
	}
	yes := true
	ps[1].Drift = &yes
	if s, ok := Summary(ps); ok || !strings.Contains(s, "drift on b") {
		t.Fatalf("%q %v", s, ok)
	}
	ps[2].PrimaryCluster = "TARGET"
	if p := DetectPhase(ps); p.Number != -1 {
		t.Fatalf("mixed: %+v", p)
	}
	for i := range ps {
		ps[i].PrimaryCluster = "TARGET"
	}
	if p := DetectPhase(ps); p.Number != 4 {
		t.Fatalf("%+v", p)
	}
	if p := DetectPhase([]HostStatus{{Host: "a", Reachable: true}}); p.Number != 0 || p.Next != "zdmctl deploy" {
		t.Fatalf("%+v", p)
	}
	ps = []HostStatus{ready("a", "PRIMARY_ONLY", "ORIGIN")}
	if p := DetectPhase(ps); p.Number != 1 {
		t.Fatalf("%+v", p)
	}
}

func TestChanges(t *testing.T) {
	topo := Topology{Addresses: []string{"a"}}
	old, _ := Render(baseVars(), topo)
	v := baseVars()
	v["read_mode"] = "DUAL_ASYNC_ON_SECONDARY"
	reload, _ := Render(v, topo)
	lines, restart := reload.Changes(old.Text)
	if restart || len(lines) != 1 || lines[0] != "read_mode: PRIMARY_ONLY → DUAL_ASYNC_ON_SECONDARY" {
		t.Fatalf("%q restart=%v", lines, restart)
	}
	v["origin_password"] = "new"
	pw, _ := Render(v, topo)
	lines, restart = pw.Changes(old.Text)
	if !restart || len(lines) != 2 || lines[0] != "origin_password: ******** → ******** (changed)" || strings.Contains(strings.Join(lines, ""), "new") {
		t.Fatalf("%q restart=%v", lines, restart)
	}
	v["proxy_max_stream_ids"] = 1024
	re, _ := Render(v, topo)
	if _, restart := re.Changes(old.Text); !restart {
		t.Fatal("proxy_max_stream_ids change does not need a restart")
	}
	if lines, _ := old.Changes(old.Text); len(lines) != 0 {
		t.Fatalf("no change: %q", lines)
	}
}
