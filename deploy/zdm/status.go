package zdm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/proxy/admin"
)

// HostStatus is one proxy host as seen live. Readiness is read from the
// metrics listener (metrics_address:metrics_port), the status from the
// admin API listener (admin_address:admin_port, localhost by default),
// both over SSH on the host itself: one Exec per host, bash /dev/tcp, no
// curl needed.
type HostStatus struct {
	Host           string `json:"host"`
	Address        string `json:"address"`
	Reachable      bool   `json:"reachable"`
	Error          string `json:"error,omitempty"`
	Service        string `json:"service"` // systemd ActiveState: active, inactive, failed, ... ("" not installed)
	Installed      bool   `json:"installed"`
	Version        string `json:"version,omitempty"`
	ReadMode       string `json:"read_mode,omitempty"`
	PrimaryCluster string `json:"primary_cluster,omitempty"`
	Ready          bool   `json:"ready"`
	NotReadyReason string `json:"not_ready_reason,omitempty"`
	// DegradedReason: ready, but serving without an optional cluster (the
	// secondary of write_mode DUAL_ASYNC_ON_SECONDARY), and why.
	DegradedReason    string  `json:"degraded_reason,omitempty"`
	OriginUp          *bool   `json:"origin_up,omitempty"`
	TargetUp          *bool   `json:"target_up,omitempty"`
	ClientConnections int64   `json:"client_connections"`
	UptimeSeconds     float64 `json:"uptime_seconds"`
	// RunningSHA256 is the config_sha256 the proxy reports (the file it
	// last loaded), DiskSHA256 the file's hash now, WantSHA256 the hash of
	// what the inventory renders for this host now.
	RunningSHA256 string `json:"running_config_sha256,omitempty"`
	DiskSHA256    string `json:"disk_config_sha256,omitempty"`
	WantSHA256    string `json:"want_config_sha256"`
	// Drift is null when it cannot be known (host unreachable).
	Drift    *bool  `json:"drift"`
	DriftWhy string `json:"drift_why,omitempty"`
	// DriftChanges name the keys that differ, "key: on host → inventory"
	// (secret values as ********), as deploy --check --diff shows them.
	DriftChanges   []string `json:"drift_changes,omitempty"`
	RestartPending bool     `json:"restart_pending"` // the proxy says: changed keys need a restart
	// Unloaded: the file on the host differs from what the proxy loaded.
	Unloaded    bool     `json:"config_file_not_loaded"`
	ChangedKeys []string `json:"changed_immutable_keys,omitempty"`
	Binary      string   `json:"binary,omitempty"`
	// WriteMode is the running write_mode; Journal the counts of its
	// journal of missed writes (zdmctl reconcile).
	WriteMode string               `json:"write_mode,omitempty"`
	Journal   *admin.JournalStatus `json:"journal,omitempty"`

	diskText string // the config file on the host (secrets: never printed)
}

// Drifted reports whether drift is known and present.
func (hs *HostStatus) Drifted() bool { return hs.Drift != nil && *hs.Drift }

// RunsConfig reports whether the proxy runs, and has on disk, the config
// whose hash is sha (as judgeDrift would judge it against sha).
func (hs *HostStatus) RunsConfig(sha string) bool {
	return (hs.RunningSHA256 == "" || hs.RunningSHA256 == sha) && hs.DiskSHA256 == sha
}

// DriftUnknown reports whether drift could not be judged.
func (hs *HostStatus) DriftUnknown() bool { return hs.Drift == nil }

// ExplainDrift names the keys in which the host's config file differs
// from want (what the inventory renders for it now).
func (hs *HostStatus) ExplainDrift(want *Config) {
	if !hs.Drifted() || want == nil {
		return
	}
	if hs.DiskSHA256 != hs.WantSHA256 && hs.diskText != "" {
		hs.DriftChanges, _ = want.Changes(hs.diskText)
		return
	}
	for _, k := range hs.ChangedKeys {
		hs.DriftChanges = append(hs.DriftChanges, k+": not loaded by the running proxy (restart pending)")
	}
}

// probeScript prints key=value lines; HTTP responses are base64 encoded.
const probeScript = `cfg=/etc/zdm-proxy/zdm-proxy.yaml
if systemctl cat zdm-proxy >/dev/null 2>&1; then echo installed=yes; else echo installed=no; fi
echo "service=$(systemctl is-active zdm-proxy 2>/dev/null)"
echo "disk_sha=$( [ -f $cfg ] && sha256sum < $cfg | cut -d' ' -f1)"
echo "binary=$(readlink /opt/zdm-proxy/current 2>/dev/null)"
echo "config=$( [ -f $cfg ] && base64 -w0 < $cfg)"
get() { timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'$1' || exit 1; printf "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n" "$0" >&3; cat <&3' "$2" 2>/dev/null | base64 -w0; }
echo "readiness=$(get $PORT /health/readiness)"
# The admin API listener; a proxy from before the split serves it on the
# metrics port.
st=$(get $API_PORT /api/v1/status)
[ -n "$st" ] || st=$(get $PORT /api/v1/status)
echo "status=$st"
`

// Probe reads host's live state over conn, everything from port (one
// listener).
func Probe(ctx context.Context, conn transport.Conn, port int, want string) HostStatus {
	return ProbeAPI(ctx, conn, port, port, want)
}

// ProbeAPI reads host's live state over conn: readiness from the metrics
// port, the status from the admin API port.
func ProbeAPI(ctx context.Context, conn transport.Conn, port, apiPort int, want string) HostStatus {
	hs := HostStatus{Host: conn.Host(), WantSHA256: want, Reachable: true}
	res, err := conn.Exec(ctx, "bash -s", transport.ExecOptions{Become: true, Stdin: strings.NewReader(fmt.Sprintf("PORT=%d API_PORT=%d\n%s", port, apiPort, probeScript))})
	if err != nil {
		hs.Reachable = false
		hs.Error = err.Error()
		return hs // drift unknown (nil)
	}
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(res.Stdout))
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			kv[k] = v
		}
	}
	hs.Installed = kv["installed"] == "yes"
	hs.Service = kv["service"]
	hs.DiskSHA256 = kv["disk_sha"]
	hs.Binary = kv["binary"]
	if b, err := base64.StdEncoding.DecodeString(kv["config"]); err == nil {
		hs.diskText = string(b)
	}
	if code, body := httpResponse(kv["readiness"]); code != 0 {
		var rd admin.Readiness
		_ = json.Unmarshal(body, &rd)
		hs.Ready = code == 200
		if hs.Ready && rd.Degraded {
			hs.DegradedReason = rd.Reason
		}
		if !hs.Ready {
			hs.NotReadyReason = rd.Reason
			if hs.NotReadyReason == "" {
				hs.NotReadyReason = fmt.Sprintf("readiness HTTP %d", code)
			}
		}
		for _, c := range rd.Clusters {
			up := c.Reachable
			switch strings.ToLower(c.Name) {
			case "origin":
				hs.OriginUp = &up
			case "target":
				hs.TargetUp = &up
			}
		}
	} else if hs.Service == "active" {
		hs.NotReadyReason = fmt.Sprintf("admin API on 127.0.0.1:%d does not answer", port)
	} else if hs.Installed {
		hs.NotReadyReason = "service " + orDash(hs.Service)
	} else {
		hs.NotReadyReason = "not deployed"
	}
	if code, body := httpResponse(kv["status"]); code == 200 {
		var st admin.Status
		if err := json.Unmarshal(body, &st); err == nil {
			hs.Version = st.Version
			hs.ReadMode = st.ReadMode
			hs.PrimaryCluster = st.PrimaryCluster
			hs.ClientConnections = st.ClientConnections
			hs.UptimeSeconds = st.UptimeSeconds
			hs.RunningSHA256 = st.ConfigSHA256
			hs.RestartPending = st.RestartPending
			hs.ChangedKeys = st.ChangedImmutableKeys
			hs.WriteMode, hs.Journal = st.WriteMode, st.Journal
		}
	}
	hs.judgeDrift()
	return hs
}

func (hs *HostStatus) judgeDrift() {
	no, yes := false, true
	hs.Drift = &no
	if !hs.Installed {
		return
	}
	switch {
	case hs.RunningSHA256 != "" && hs.RunningSHA256 != hs.WantSHA256:
		hs.Drift, hs.DriftWhy = &yes, "running config differs from the inventory"
	case hs.DiskSHA256 != hs.WantSHA256:
		hs.Drift, hs.DriftWhy = &yes, "config file on the host differs from the inventory"
	}
	if hs.RunningSHA256 != "" && hs.DiskSHA256 != "" && hs.RunningSHA256 != hs.DiskSHA256 {
		hs.Unloaded = true
	}
}

// httpResponse decodes a base64 raw HTTP response: status code and body
// (0 when there is none).
func httpResponse(b64 string) (int, []byte) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil || len(raw) == 0 {
		return 0, nil
	}
	head, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	line, _, _ := bytes.Cut(head, []byte("\r\n"))
	f := strings.Fields(string(line))
	if len(f) < 2 {
		return 0, nil
	}
	code, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, nil
	}
	return code, body
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Monitoring service states in MonitorStatus.
const (
	ServiceUp          = "up"
	ServiceDown        = "down"         // installed by zdmctl, not answering
	ServiceNotDeployed = "not deployed" // no zdmctl unit, nothing answering
)

// MonitorStatus is one monitoring host.
type MonitorStatus struct {
	Host      string `json:"host"`
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
	// PrometheusState and GrafanaState are ServiceUp, ServiceDown or
	// ServiceNotDeployed: whatever answers on the port is up; a unit
	// zdmctl installed that does not answer is down; no unit and no
	// answer is not deployed (Grafana with neither grafana_archive nor
	// grafana_install: package).
	PrometheusState string `json:"prometheus"`
	GrafanaState    string `json:"grafana"`
	Prometheus      bool   `json:"prometheus_up"`
	Grafana         bool   `json:"grafana_up"`
}

// Down reports whether a service deployed on the host does not answer.
func (m *MonitorStatus) Down() bool {
	return !m.Reachable || m.PrometheusState == ServiceDown || m.GrafanaState == ServiceDown
}

// ProbeMonitor checks Prometheus and Grafana answer HTTP on the host and
// whether zdmctl's units for them are installed.
func ProbeMonitor(ctx context.Context, conn transport.Conn, promAddr, grafanaAddr string) MonitorStatus {
	ms := MonitorStatus{Host: conn.Host(), Reachable: true}
	ph, pp, _ := net.SplitHostPort(promAddr)
	gh, gp, _ := net.SplitHostPort(grafanaAddr)
	script := fmt.Sprintf(`up() { timeout 3 bash -c 'exec 3<>/dev/tcp/'$1'/'$2' || exit 1; printf "GET %%s HTTP/1.0\r\nHost: localhost\r\n\r\n" "$0" >&3; head -1 <&3' "$3" 2>/dev/null | grep -q ' [23]0[0-9]' && echo yes || echo no; }
unit() { systemctl cat "$1" >/dev/null 2>&1 && echo yes || echo no; }
echo "prometheus=$(up %s %s /-/healthy)"
echo "grafana=$(up %s %s /api/health)"
echo "prometheus_unit=$(unit %s)"
echo "grafana_unit=$(unit %s)"
`, shellQuote(ph), shellQuote(pp), shellQuote(gh), shellQuote(gp), PrometheusService, GrafanaService)
	res, err := conn.Exec(ctx, "bash -s", transport.ExecOptions{Stdin: strings.NewReader(script)})
	if err != nil {
		ms.Reachable, ms.Error = false, err.Error()
		return ms
	}
	kv := map[string]string{}
	for _, l := range strings.Split(string(res.Stdout), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok {
			kv[k] = v
		}
	}
	ms.Prometheus = kv["prometheus"] == "yes"
	ms.Grafana = kv["grafana"] == "yes"
	ms.PrometheusState = serviceState(ms.Prometheus, kv["prometheus_unit"] == "yes")
	ms.GrafanaState = serviceState(ms.Grafana, kv["grafana_unit"] == "yes")
	return ms
}

func serviceState(answers, installed bool) string {
	switch {
	case answers:
		return ServiceUp
	case installed:
		return ServiceDown
	}
	return ServiceNotDeployed
}

// Uptime formats seconds for a table.
func Uptime(s float64) string {
	if s <= 0 {
		return "-"
	}
	return (time.Duration(s) * time.Second).Round(time.Second).String()
}
