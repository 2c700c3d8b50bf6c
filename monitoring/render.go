package monitoring

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

//go:embed assets
var assets embed.FS

// Paths on the monitoring hosts.
const (
	ConfigDir           = "/etc/zdm-monitoring"
	PrometheusConfig    = ConfigDir + "/prometheus/prometheus.yml"
	GrafanaDir          = ConfigDir + "/grafana"
	GrafanaProvisioning = GrafanaDir + "/provisioning"
	GrafanaDashboards   = GrafanaDir + "/dashboards"
	GrafanaIni          = GrafanaDir + "/grafana.ini"
	InstallDir          = "/opt/zdm-monitoring"
	DataDir             = "/var/lib/zdm-monitoring"
	PrometheusDataDir   = DataDir + "/prometheus"
	GrafanaDataDir      = DataDir + "/grafana"
	// Job is the Prometheus job of the proxies' metrics endpoints.
	Job = "zdm-proxy"
	// DatasourceUID is the uid of the provisioned Prometheus datasource.
	DatasourceUID = "zdm-prometheus"
)

// Target is one proxy's metrics endpoint.
type Target struct {
	Name    string // inventory host name: the instance label
	Address string // host:port Prometheus scrapes
}

// PrometheusOptions shape the Prometheus config.
type PrometheusOptions struct {
	Targets        []Target
	ScrapeInterval string // Prometheus duration, default 15s
	// Self is this Prometheus' own host:port, scraped as job "prometheus"
	// with instance SelfName.
	Self, SelfName string
	// NodeTargets are the hosts' node exporters (job "node").
	NodeTargets []Target
	// RuleFiles are loaded by Prometheus (alert rules).
	RuleFiles []string
	// Alertmanager is the host:port alerts go to (also scraped as job
	// "alertmanager"); "" = no Alertmanager.
	Alertmanager string
}

// RenderPrometheus renders prometheus.yml.
func RenderPrometheus(o PrometheusOptions) ([]byte, error) {
	if len(o.Targets) == 0 {
		return nil, fmt.Errorf("prometheus config: no proxy to scrape")
	}
	iv := o.ScrapeInterval
	if iv == "" {
		iv = "15s"
	}
	d, err := ParseDuration(iv)
	if err != nil {
		return nil, fmt.Errorf("prometheus_scrape_interval %q: %w", iv, err)
	}
	timeout := iv
	if d > 10 {
		timeout = "10s"
	}
	seen := map[string]bool{}
	for _, t := range o.Targets {
		if t.Name == "" || t.Address == "" {
			return nil, fmt.Errorf("prometheus config: target %+v has no name or address", t)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("prometheus config: instance %s twice", t.Name)
		}
		seen[t.Name] = true
	}
	return render("assets/prometheus.yml.tmpl", map[string]any{
		"Targets": o.Targets, "ScrapeInterval": iv, "ScrapeTimeout": timeout, "Job": Job,
		"Self": o.Self, "SelfName": o.SelfName,
		"NodeJob": NodeJob, "NodeTargets": o.NodeTargets, "RuleFiles": o.RuleFiles, "Alertmanager": o.Alertmanager,
	})
}

// ParseDuration parses a Prometheus duration (1h30m, 15s, 2w, 500ms) and
// returns it in seconds (fractions dropped); 0 is an error.
func ParseDuration(s string) (int64, error) {
	units := map[string]int64{"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0}
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total int64
	rest := s
	any := false
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("not a duration like 15s, 1m, 12h, 15d")
		}
		n, _ := strconv.ParseInt(rest[:i], 10, 64)
		rest = rest[i:]
		j := 0
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') {
			j++
		}
		u, ok := units[rest[:j]]
		if !ok {
			return 0, fmt.Errorf("unit %q: allowed y, w, d, h, m, s, ms", rest[:j])
		}
		total += n * u
		if n > 0 {
			any = true
		}
		rest = rest[j:]
	}
	if !any {
		return 0, fmt.Errorf("must be more than 0")
	}
	return total, nil
}

// DatasourceOptions shape the Grafana datasource.
type DatasourceOptions struct {
	Host           string // the monitoring host (for the header comment)
	URL            string // how Grafana reaches Prometheus
	ScrapeInterval string
}

// RenderDatasource renders the Grafana datasource provisioning file.
func RenderDatasource(o DatasourceOptions) ([]byte, error) {
	iv := o.ScrapeInterval
	if iv == "" {
		iv = "15s"
	}
	return render("assets/grafana/datasource.yaml.tmpl", map[string]any{
		"Host": o.Host, "Name": "ZDM Prometheus", "UID": DatasourceUID, "URL": o.URL, "ScrapeInterval": iv,
	})
}

// RenderDashboardProvider renders the Grafana dashboard provider file,
// reading dashboards from dir.
func RenderDashboardProvider(dir string) ([]byte, error) {
	return render("assets/grafana/dashboards.yaml.tmpl", map[string]any{"Dir": dir})
}

// GrafanaOptions shape grafana.ini of a Grafana zdmctl deploys.
type GrafanaOptions struct {
	Host          string
	Address       string // http_addr; "" = all addresses
	Port          int
	AdminPassword string // empty: Grafana's own first-login flow
}

// RenderGrafanaIni renders grafana.ini (it may hold the admin password:
// install it readable by the Grafana user only).
func RenderGrafanaIni(o GrafanaOptions) ([]byte, error) {
	if strings.ContainsAny(o.AdminPassword, "\n\r;#") {
		return nil, fmt.Errorf("grafana_admin_password: must not contain a newline, ';' or '#'")
	}
	return render("assets/grafana/grafana.ini.tmpl", map[string]any{
		"Host": o.Host, "Address": o.Address, "Port": o.Port, "AdminPassword": o.AdminPassword,
		"DataDir": GrafanaDataDir, "ProvisioningDir": GrafanaProvisioning, "DashboardDir": GrafanaDashboards,
	})
}

// Dashboards returns the dashboard files by file name (zdm-proxy.json, ...).
func Dashboards() map[string][]byte {
	out := map[string][]byte{}
	ents, err := fs.ReadDir(assets, "assets/grafana/dashboards")
	if err != nil {
		panic(err)
	}
	for _, e := range ents {
		b, err := assets.ReadFile("assets/grafana/dashboards/" + e.Name())
		if err != nil {
			panic(err)
		}
		out[e.Name()] = b
	}
	return out
}

// DashboardNames lists the dashboard file names, sorted.
func DashboardNames() []string {
	var out []string
	for n := range Dashboards() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

var funcs = template.FuncMap{
	// quote writes a YAML double-quoted scalar.
	"quote": func(s any) string { return strconv.Quote(fmt.Sprint(s)) },
}

func render(name string, data any) ([]byte, error) {
	text, err := assets.ReadFile(name)
	if err != nil {
		return nil, err
	}
	t, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(string(text))
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return b.Bytes(), nil
}
