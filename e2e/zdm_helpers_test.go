//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/internal/testfleet"
)

// Helpers for the zdm command tests (zdm_test.go).
//
// The proxy binary: the real ./cmd/zdm-proxy, or with ZDMCTL_E2E_PROXY=fake
// the stand-in e2e/testdata/fakeproxy (same config file, readiness and
// status API, SIGHUP reload; no CQL), to test zdmctl alone. Origin and Target
// are in-memory CQL clusters (internal/cqltest) on the fleet's bridge
// address in this process.

var (
	zdmBuildOnce sync.Once
	zdmBuildDir  string
	zdmBuildErr  error
	zdmRealProxy bool
)

// zdmBinaries builds zdmctl and the proxy (linux/amd64) once.
func zdmBinaries(t testing.TB) (zdmctl, proxy string) {
	t.Helper()
	root := repoRoot()
	zdmBuildOnce.Do(func() {
		zdmBuildDir, zdmBuildErr = os.MkdirTemp("", "zdm-e2e-bin-")
		if zdmBuildErr != nil {
			return
		}
		atPackageExit(func() error { return os.RemoveAll(zdmBuildDir) })
		pkg := "./e2e/testdata/fakeproxy"
		mode := os.Getenv("ZDMCTL_E2E_PROXY")
		if mode != "fake" {
			pkg, zdmRealProxy = "./cmd/zdm-proxy", true
		}
		for _, b := range []struct{ pkg, out string }{{"./cmd/zdmctl", "zdmctl"}, {pkg, "zdm-proxy"}} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(zdmBuildDir, b.out), b.pkg)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
			if out, err := cmd.CombinedOutput(); err != nil {
				zdmBuildErr = fmt.Errorf("build %s: %v\n%s", b.pkg, err, out)
				return
			}
		}
	})
	if zdmBuildErr != nil {
		t.Fatal(zdmBuildErr)
	}
	return filepath.Join(zdmBuildDir, "zdmctl"), filepath.Join(zdmBuildDir, "zdm-proxy")
}

// zdmClusters starts CQL Origin and Target clusters reachable from the
// fleet and returns their ports (zdm_load_test.go sets it); unset, Origin
// and Target are plain TCP listeners, enough for the stand-in proxy only.
var zdmClusters func(t testing.TB, bridge string) (origin, target int)

// zdmEnv is one migration under test: a fleet's first three hosts as
// proxies, an inventory in a temp dir, Origin and Target listeners.
type zdmEnv struct {
	t       testing.TB
	fleet   *testfleet.Fleet
	dir     string
	inv     string
	zdmctl  string
	proxy   string
	hosts   []testfleet.Host
	closed  int // a port nothing listens on, on the bridge address
	hostVar map[string]map[string]string
	vars    map[string]string
	// monitors, when set, are written as the inventory's monitoring group.
	monitors []testfleet.Host
	quiet    bool // run logs only failures (cleanupRun)
	// env is added to every zdmctl run's environment (password references).
	env []string
	// rollout, when set, is written as the inventory's rollout: section.
	rollout map[string]string
}

func newZDMEnv(t testing.TB, f *testfleet.Fleet) *zdmEnv {
	t.Helper()
	hosts := f.Direct()
	if len(hosts) > 3 {
		hosts = hosts[:3]
	}
	return newZDMEnvOn(t, f, hosts)
}

// newZDMEnvOn is newZDMEnv with hosts as the proxies group.
func newZDMEnvOn(t testing.TB, f *testfleet.Fleet, hosts []testfleet.Host) *zdmEnv {
	t.Helper()
	return newZDMEnvWith(t, f, hosts, zdmClusters)
}

// newZDMEnvWith is newZDMEnvOn with Origin and Target from clusters
// (ports on the fleet's bridge address) instead of zdmClusters.
func newZDMEnvWith(t testing.TB, f *testfleet.Fleet, hosts []testfleet.Host, clusters func(t testing.TB, bridge string) (origin, target int)) *zdmEnv {
	t.Helper()
	zdmctl, proxy := zdmBinaries(t)
	e := &zdmEnv{t: t, fleet: f, dir: t.TempDir(), zdmctl: zdmctl, proxy: proxy, hostVar: map[string]map[string]string{}, hosts: hosts}
	originPort, targetPort := 0, 0
	switch {
	case clusters != nil:
		originPort, targetPort = clusters(t, f.BridgeAddress)
	case zdmRealProxy:
		t.Skip("the real zdm-proxy needs CQL clusters (zdmClusters)")
	default:
		originPort = listen(t, f.BridgeAddress).Addr().(*net.TCPAddr).Port
		targetPort = listen(t, f.BridgeAddress).Addr().(*net.TCPAddr).Port
	}
	l := listen(t, f.BridgeAddress)
	e.closed = l.Addr().(*net.TCPAddr).Port
	l.Close()
	e.inv = filepath.Join(e.dir, "zdm.yaml")
	e.vars = map[string]string{
		"origin_contact_points": f.BridgeAddress,
		"origin_port":           fmt.Sprint(originPort),
		"origin_username":       "cassandra",
		"origin_password":       "env:ZDM_E2E_ORIGIN_PASSWORD",
		"target_contact_points": f.BridgeAddress,
		"target_port":           fmt.Sprint(targetPort),
		"target_username":       "cassandra",
		"target_password":       "env:ZDM_E2E_TARGET_PASSWORD",
		"primary_cluster":       "ORIGIN",
		"read_mode":             "PRIMARY_ONLY",
		"log_level":             "INFO",
	}
	e.writeInventory()
	return e
}

// listen accepts and holds connections (a cluster that answers TCP).
func listen(t testing.TB, addr string) net.Listener {
	l, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { time.Sleep(2 * time.Second); c.Close() }()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return l
}

func (e *zdmEnv) writeInventory() {
	var b strings.Builder
	b.WriteString("vars:\n")
	for _, k := range sortedKeys(e.vars) {
		fmt.Fprintf(&b, "  %s: %q\n", k, e.vars[k])
	}
	fmt.Fprintf(&b, "defaults: {user: root, identity_file: %q}\ngroups:\n  proxies:\n    hosts:\n", e.fleet.KeyFile)
	for _, h := range e.hosts {
		fmt.Fprintf(&b, "      %s: {address: %s", h.Name, h.Address)
		if h.User != "root" {
			fmt.Fprintf(&b, ", user: %s", h.User)
		}
		if h.KeyFile != e.fleet.KeyFile {
			fmt.Fprintf(&b, ", identity_file: %q", h.KeyFile)
		}
		if h.Become {
			b.WriteString(", become: true")
		}
		if hv := e.hostVar[h.Name]; len(hv) > 0 {
			b.WriteString(", vars: {")
			for i, k := range sortedKeys(hv) {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%s: %q", k, hv[k])
			}
			b.WriteString("}")
		}
		b.WriteString("}\n")
	}
	if len(e.monitors) > 0 {
		b.WriteString("  monitoring:\n    hosts:\n")
		for _, h := range e.monitors {
			fmt.Fprintf(&b, "      %s: {address: %s", h.Name, h.Address)
			if h.User != "root" {
				fmt.Fprintf(&b, ", user: %s", h.User)
			}
			if h.Become {
				b.WriteString(", become: true")
			}
			b.WriteString("}\n")
		}
	}
	if len(e.rollout) > 0 {
		b.WriteString("rollout:\n")
		for _, k := range sortedKeys(e.rollout) {
			fmt.Fprintf(&b, "  %s: %q\n", k, e.rollout[k])
		}
	}
	if err := os.WriteFile(e.inv, []byte(b.String()), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
	return ks
}

type cmdResult struct {
	out, err string
	code     int
	took     time.Duration // wall time of the zdmctl process
}

// run runs zdmctl against the env's inventory.
func (e *zdmEnv) run(args ...string) cmdResult {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	full := append([]string{"-i", e.inv, "--known-hosts", e.fleet.KnownHostsFile}, args...)
	cmd := exec.CommandContext(ctx, e.zdmctl, full...)
	cmd.Env = append(os.Environ(), "ZDM_E2E_ORIGIN_PASSWORD=origin-s3cret", "ZDM_E2E_TARGET_PASSWORD=target-s3cret", "ZDM_E2E_GRAFANA_PASSWORD=grafana-s3cret")
	cmd.Env = append(cmd.Env, e.env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("zdmctl %v: %v", args, err)
	}
	if !e.quiet || code != 0 {
		e.t.Logf("zdmctl %s → exit %d\n--- stdout (tail):\n%s\n--- stderr (tail):\n%s", strings.Join(args, " "), code, tail(out.String(), 12), tail(errb.String(), 12))
	}
	return cmdResult{out: out.String(), err: errb.String(), code: code, took: took}
}

// cleanupRun runs zdmctl from a t.Cleanup, logging only a failure: a
// cleanup's output printed after a failed step would push that step's
// failure message out of the last lines a CI summary shows.
func (e *zdmEnv) cleanupRun(args ...string) {
	e.quiet = true
	defer func() { e.quiet = false }()
	e.run(args...)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// exec runs a shell command on host as root.
func (e *zdmEnv) exec(host, cmd string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h, _ := e.fleet.Host(host)
	if h.User != "root" {
		cmd = "sudo -n bash -c " + shq(cmd)
	}
	out, err := e.fleet.Exec(ctx, host, cmd)
	if err != nil {
		e.t.Fatalf("%s: %s: %v", host, cmd, err)
	}
	return out
}

func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// mainPID is the zdm-proxy unit's MainPID on host.
func (e *zdmEnv) mainPID(host string) string {
	return strings.TrimSpace(e.exec(host, "systemctl show -p MainPID --value zdm-proxy"))
}

type statusDoc struct {
	Proxies []struct {
		Host           string `json:"host"`
		Ready          bool   `json:"ready"`
		Drift          bool   `json:"drift"`
		Version        string `json:"version"`
		ReadMode       string `json:"read_mode"`
		PrimaryCluster string `json:"primary_cluster"`
		Running        string `json:"running_config_sha256"`
		Want           string `json:"want_config_sha256"`
	} `json:"proxies"`
	Summary string `json:"summary"`
	OK      bool   `json:"-"` // the document's ok (healthy fleet)
	Phase   struct {
		Number int    `json:"number"`
		Next   string `json:"next"`
	} `json:"phase"`
}

func (e *zdmEnv) status() (statusDoc, cmdResult) {
	e.t.Helper()
	r := e.run("status", "-o", "json")
	var doc struct {
		OK   bool       `json:"ok"`
		Data *statusDoc `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil || doc.Data == nil {
		e.t.Fatalf("status JSON (data under \"data\"): %v\n%s", err, r.out)
	}
	doc.Data.OK = doc.OK
	return *doc.Data, r
}

type zdmRunDoc struct {
	OK     bool   `json:"ok"`
	Error  string `json:"error"`
	Result struct {
		Hosts []struct {
			Host    string `json:"host"`
			Changed int    `json:"changed"`
			Status  string `json:"status"`
		} `json:"hosts"`
	} `json:"result"`
}

func changedCount(t *testing.T, r cmdResult) int {
	var d zdmRunDoc
	if err := json.Unmarshal([]byte(r.out), &d); err != nil {
		t.Fatalf("run JSON: %v\n%s", err, r.out)
	}
	n := 0
	for _, h := range d.Result.Hosts {
		n += h.Changed
	}
	return n
}
