package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const base = "origin_contact_points: a\ntarget_contact_points: b\n"

func TestOpsKeys(t *testing.T) {
	cases := []struct {
		body    string
		wantErr string // "" = valid
		check   func(*Config) bool
	}{
		{base, "", func(c *Config) bool {
			return c.MetricsEnabled && c.CompareSampleRate == 1 && !c.ReplaceCQLFunctions && c.LogFormat == "text" && c.ProxyBucketsMs == nil
		}},
		{base + "metrics_enabled: false\nlog_format: JSON\n", "", func(c *Config) bool { return !c.MetricsEnabled && c.LogFormat == "json" }},
		{base + "metrics_proxy_latency_buckets_ms: [1, 2.5, 10]\n", "", func(c *Config) bool {
			return reflect.DeepEqual(c.ProxyBucketsMs, []float64{1, 2.5, 10})
		}},
		{base + "metrics_origin_latency_buckets_ms: 5,1\n", "metrics_origin_latency_buckets_ms", nil},
		{base + "metrics_target_latency_buckets_ms: [0]\n", "metrics_target_latency_buckets_ms", nil},
		{base + "metrics_async_latency_buckets_ms: fast\n", "metrics_async_latency_buckets_ms", nil},
		{base + "async_read_compare_sample_rate: 0.25\n", "", func(c *Config) bool { return c.CompareSampleRate == 0.25 }},
		{base + "async_read_compare_sample_rate: 1.5\n", "async_read_compare_sample_rate", nil},
		{base + "async_read_compare_sample_rate: NaN\n", "async_read_compare_sample_rate", nil},
		{base + "origin_tls_skip_hostname_verification: yes-please\n", "origin_tls_skip_hostname_verification", nil},
		{base + "proxy_tls_cert_path: /etc/zdm/proxy.pem\nproxy_tls_require_client_auth: true\ntarget_tls_server_ca_path: /ca.pem\n", "", func(c *Config) bool {
			return c.ProxyTLS.CertPath == "/etc/zdm/proxy.pem" && c.ProxyTLS.RequireClientAuth && c.TargetTLS.ServerCAPath == "/ca.pem"
		}},
		{base + "replace_cql_functions: true\nlog_mismatch_values: true\n", "", func(c *Config) bool { return c.ReplaceCQLFunctions && c.LogMismatchValues }},
		{base + "log_format: xml\n", "log_format", nil},
	}
	for _, tc := range cases {
		c, _, err := Load(writeFile(t, tc.body), nil)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%q: want a one-line error naming %s, got %v", tc.body, tc.wantErr, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.body, err)
			continue
		}
		if !tc.check(c) {
			t.Errorf("%q: unexpected %+v", tc.body, c.Ops)
		}
	}
}

func TestChangedKeysSplitsMutable(t *testing.T) {
	a, _, err := Load(writeFile(t, base), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Load(writeFile(t, base+"read_mode: DUAL_ASYNC_ON_SECONDARY\nlog_level: DEBUG\norigin_port: 9999\norigin_password: x\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	mut, imm := ChangedKeys(a, b)
	if !reflect.DeepEqual(mut, []string{"log_level", "read_mode"}) || !reflect.DeepEqual(imm, []string{"origin_password", "origin_port"}) {
		t.Fatalf("mutable %v immutable %v", mut, imm)
	}
}

func TestLoadRawReturnsTheBytesRead(t *testing.T) {
	p := writeFile(t, base+"# comment\n")
	_, _, raw, err := LoadRaw(p, nil)
	want, _ := os.ReadFile(p)
	if err != nil || string(raw) != string(want) {
		t.Fatalf("raw %q err %v", raw, err)
	}
}

// FuzzLoad: any file either loads into a valid config whose canonical
// rendering loads back to the same config, or fails with one line.
func FuzzLoad(f *testing.F) {
	f.Add(base)
	f.Add(base + "metrics_proxy_latency_buckets_ms: [1, 5]\nasync_read_compare_sample_rate: 0.5\n")
	f.Add(base + "proxy_tls_cert_path: /x\nread_mode: dual_async_on_secondary\n")
	f.Add("origin_contact_points: [a, b]\ntarget_contact_points: c\norigin_port: 9043\n")
	f.Add(": :\n")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body string) {
		p := filepath.Join(dir, "f.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		c, _, err := Load(p, nil)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		var env []string
		for k, v := range c.Values() {
			env = append(env, EnvPrefix+strings.ToUpper(k)+"="+v)
		}
		c2, _, err := Load("", env)
		if err != nil {
			t.Fatalf("canonical values do not load back: %v", err)
		}
		if string(c.Canonical()) != string(c2.Canonical()) {
			t.Fatalf("round trip changed the config:\n%s\n%s", c.Canonical(), c2.Canonical())
		}
	})
}
