package monitoring

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type promConfig struct {
	Global struct {
		ScrapeInterval string `yaml:"scrape_interval"`
		ScrapeTimeout  string `yaml:"scrape_timeout"`
	} `yaml:"global"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string          `yaml:"targets"`
			Labels  map[string]string `yaml:"labels"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

func TestRenderPrometheus(t *testing.T) {
	targets := []Target{{"zdm-proxy-1", "10.0.0.11:14001"}, {"zdm-proxy-2", "10.0.0.12:14001"}, {"proxy \"3\"", "[fd00::13]:9100"}}
	out, err := RenderPrometheus(PrometheusOptions{Targets: targets, ScrapeInterval: "30s", Self: "localhost:9090", SelfName: "mon-1"})
	if err != nil {
		t.Fatal(err)
	}
	var c promConfig
	if err := yaml.Unmarshal(out, &c); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, out)
	}
	if c.Global.ScrapeInterval != "30s" || c.Global.ScrapeTimeout != "10s" {
		t.Errorf("global %+v", c.Global)
	}
	if len(c.ScrapeConfigs) != 2 || c.ScrapeConfigs[0].JobName != "zdm-proxy" || c.ScrapeConfigs[0].MetricsPath != "/metrics" {
		t.Fatalf("scrape configs:\n%s", out)
	}
	var got []Target
	for _, sc := range c.ScrapeConfigs[0].StaticConfigs {
		if len(sc.Targets) != 1 {
			t.Fatalf("static config %+v: want one target each", sc)
		}
		got = append(got, Target{Name: sc.Labels["instance"], Address: sc.Targets[0]})
	}
	if !reflect.DeepEqual(got, targets) {
		t.Errorf("targets %v, want %v", got, targets)
	}
	if self := c.ScrapeConfigs[1]; self.JobName != "prometheus" || self.StaticConfigs[0].Targets[0] != "localhost:9090" || self.StaticConfigs[0].Labels["instance"] != "mon-1" {
		t.Errorf("self scrape %+v", self)
	}
	again, _ := RenderPrometheus(PrometheusOptions{Targets: targets, ScrapeInterval: "30s", Self: "localhost:9090", SelfName: "mon-1"})
	if string(again) != string(out) {
		t.Error("rendering is not deterministic")
	}
	promtool(t, "config", out)
}

// promtool checks file with `promtool check config` when promtool is on
// PATH (the Debian prometheus package ships it).
func promtool(t *testing.T, kind string, content []byte) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool not on PATH: config checked as YAML only")
		return
	}
	p := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check", kind, p).CombinedOutput(); err != nil {
		t.Fatalf("promtool check %s: %v\n%s\n--- config:\n%s", kind, err, out, content)
	}
}

func TestRenderPrometheusRejects(t *testing.T) {
	for name, o := range map[string]PrometheusOptions{
		"no targets":    {},
		"bad interval":  {Targets: []Target{{"a", "a:1"}}, ScrapeInterval: "15 seconds"},
		"zero interval": {Targets: []Target{{"a", "a:1"}}, ScrapeInterval: "0s"},
		"twice":         {Targets: []Target{{"a", "a:1"}, {"a", "b:1"}}},
	} {
		if _, err := RenderPrometheus(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if s, err := ParseDuration("1h30m"); err != nil || s != 5400 {
		t.Errorf("1h30m = %d, %v", s, err)
	}
}

func TestRenderGrafanaFiles(t *testing.T) {
	ds, err := RenderDatasource(DatasourceOptions{Host: "mon", URL: "http://10.0.0.20:9090"})
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name, UID, Type, URL string
			IsDefault            bool `yaml:"isDefault"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(ds, &d); err != nil || d.APIVersion != 1 || len(d.Datasources) != 1 {
		t.Fatalf("%v\n%s", err, ds)
	}
	if s := d.Datasources[0]; s.Type != "prometheus" || s.URL != "http://10.0.0.20:9090" || s.UID != DatasourceUID || !s.IsDefault {
		t.Errorf("datasource %+v", s)
	}
	pv, err := RenderDashboardProvider(GrafanaDashboards)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Providers []struct {
			Type    string
			Options struct{ Path string }
		}
	}
	if err := yaml.Unmarshal(pv, &p); err != nil || len(p.Providers) != 1 || p.Providers[0].Type != "file" || p.Providers[0].Options.Path != GrafanaDashboards {
		t.Fatalf("provider %v %+v\n%s", err, p, pv)
	}
	ini, err := RenderGrafanaIni(GrafanaOptions{Host: "mon", Port: 3001, AdminPassword: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"http_port = 3001", "admin_password = pw", "provisioning = " + GrafanaProvisioning, "data = " + GrafanaDataDir} {
		if !strings.Contains(string(ini), want) {
			t.Errorf("grafana.ini lacks %q:\n%s", want, ini)
		}
	}
	if ini, _ := RenderGrafanaIni(GrafanaOptions{Port: 3000}); strings.Contains(string(ini), "admin_password") {
		t.Errorf("admin_password without one:\n%s", ini)
	}
	if _, err := RenderGrafanaIni(GrafanaOptions{AdminPassword: "a\nb"}); err == nil {
		t.Error("newline in password accepted")
	}
}
