package clientconfig

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
)

// fleet is three proxies at their own addresses, the third on port 9043.
func fleet(t *testing.T) (*cmdutil.Factory, *bytes.Buffer) {
	t.Helper()
	inv := cmdtest.NewInventory("p1", "p2", "p3")
	for i, h := range inv.Hosts {
		h.Address = []string{"10.0.0.11", "10.0.0.12", "10.0.0.13"}[i]
	}
	inv.Host("p3").Vars["proxy_listen_port"] = 9043
	inv.Vars["origin_contact_points"] = "10.0.1.1"
	inv.Vars["target_contact_points"] = "10.0.2.1"
	f, out, _ := cmdtest.Factory(inv)
	f.Dial = func(transport.DialOptions) runner.DialFunc {
		return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
			t.Errorf("client-config contacted %s", h.Name)
			return nil, context.Canceled
		}
	}
	return f, out
}

func TestText(t *testing.T) {
	f, buf := fleet(t)
	if err := Run(&Options{F: f, Driver: "all"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"p1               10.0.0.11:9042",
		"p3               10.0.0.13:9043",
		"local datacenter: Origin's datacenter name",
		"cluster := gocql.NewCluster(\"10.0.0.11\", \"10.0.0.12\", \"10.0.0.13\")",
		"cluster.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 3}",
		"cluster.DefaultIdempotence = true",
		"ErrConnectionClosed",
		"events.go handleNodeDown",
		"basic.request.default-idempotence = true",
		"basic.contact-points = [\"10.0.0.11:9042\", \"10.0.0.12:9042\", \"10.0.0.13:9043\"]",
		"ClosedConnectionException",
		"retry_policy=RetryPolicy()  # the default; not FallthroughRetryPolicy",
		"ConnectionShutdown",
		"speculative execution: off, or only for idempotent statements",
		"client-side timestamps",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	// One "without them" line per driver.
	if n := strings.Count(out, "without them:"); n != 3 {
		t.Errorf("%d without-lines, want 3:\n%s", n, out)
	}
}

func TestJSONOneDriverAndDatacenter(t *testing.T) {
	f, buf := fleet(t)
	f.Settings.Output = "json"
	f.Settings.Set = []string{"origin_local_datacenter=dc-east", "proxy_tls_cert_path=/etc/zdm-proxy/tls/proxy.crt", "proxy_tls_key_path=/etc/zdm-proxy/tls/proxy.key"}
	if err := Run(&Options{F: f, Driver: "GOCQL"}); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	var doc struct {
		OK   bool   `json:"ok"`
		Data Report `json:"data"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	r := doc.Data
	if !doc.OK || len(r.ContactPoints) != 3 || r.ContactPoints[2].Port != 9043 || r.ContactPoints[0].Address != "10.0.0.11" {
		t.Fatalf("%s", raw)
	}
	if r.LocalDatacenter != "dc-east" || !r.TLS || r.ClientCert {
		t.Errorf("dc %q tls %v client cert %v", r.LocalDatacenter, r.TLS, r.ClientCert)
	}
	if len(r.Drivers) != 1 || r.Drivers[0].Driver != "gocql" || r.Drivers[0].Without == "" || r.Drivers[0].Source == "" {
		t.Fatalf("drivers: %+v", r.Drivers)
	}
	got := map[string]string{}
	for _, s := range r.Drivers[0].Settings {
		got[s.Name] = s.Value
	}
	for k, v := range map[string]string{"RetryPolicy": "SimpleRetryPolicy{NumRetries: 3}", "DefaultIdempotence": "true", "PoolConfig.HostSelectionPolicy": "dc-east", "bind markers": "VALUES (?)"} {
		if got[k] != v {
			t.Errorf("gocql %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestBadInputs(t *testing.T) {
	f, _ := fleet(t)
	if err := Run(&Options{F: f, Driver: "ruby"}); cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), `--driver "ruby"`) {
		t.Fatalf("--driver ruby: %v", err)
	}
	f.LoadInventory = func(p string) (cmdutil.Inventory, error) { return cmdtest.NewInventory("p1"), nil }
	if err := Run(&Options{F: f, Driver: "all"}); cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "origin_contact_points is required") {
		t.Fatalf("missing origin: %v", err)
	}
}
