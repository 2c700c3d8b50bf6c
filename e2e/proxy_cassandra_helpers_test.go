//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	gocqlmatrix "github.com/zdmctl/zdmctl/e2e/drivers/gocql"
	"github.com/zdmctl/zdmctl/internal/testcluster"
)

// The proxy fleet of these tests: two zdm-proxy processes on their own
// loopback addresses, each listing both in proxy_topology_addresses.
var proxyFleetHosts = []string{"127.0.0.11", "127.0.0.12"}

const proxyPort = 9042

var (
	proxyBinOnce sync.Once
	proxyBin     string
	proxyBinErr  error
)

// zdmProxyBinary builds ./cmd/zdm-proxy once per test binary into a
// temporary directory removed at package exit.
func zdmProxyBinary(t *testing.T, repoRoot string) string {
	t.Helper()
	proxyBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "zdm-proxy-e2e-")
		if err != nil {
			proxyBinErr = err
			return
		}
		atPackageExit(func() error { return os.RemoveAll(dir) })
		bin := filepath.Join(dir, "zdm-proxy")
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/zdm-proxy")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			proxyBinErr = fmt.Errorf("go build ./cmd/zdm-proxy: %w\n%s", err, out)
			return
		}
		proxyBin = bin
	})
	if proxyBinErr != nil {
		t.Fatal(proxyBinErr)
	}
	return proxyBin
}

// proxyOpts are the knobs the tests vary; the rest of the config follows
// the shared clusters.
type proxyOpts struct {
	PrimaryCluster string // ORIGIN (default) or TARGET
	ReadMode       string // PRIMARY_ONLY (default) or DUAL_ASYNC_ON_SECONDARY
	TargetPassword string // default: Target's real password
	Extra          map[string]string
}

// proxyProc is one running zdm-proxy process.
type proxyProc struct {
	Addr string // host:port clients connect to
	cmd  *exec.Cmd
	log  *lockedBuffer
	done chan struct{}
}

// Log is what the process wrote to stderr so far.
func (p *proxyProc) Log() string { return p.log.String() }

// Exited reports whether the process has ended.
func (p *proxyProc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proxyConfigYAML renders the config of fleet member index.
func proxyConfigYAML(c *testcluster.Clusters, o proxyOpts, index int) string {
	origin, target := c.Endpoint(testcluster.Origin), c.Endpoint(testcluster.Target)
	kv := map[string]string{
		"primary_cluster":          "ORIGIN",
		"read_mode":                "PRIMARY_ONLY",
		"origin_contact_points":    origin.Host,
		"origin_port":              fmt.Sprint(origin.Port),
		"target_contact_points":    target.Host,
		"target_port":              fmt.Sprint(target.Port),
		"proxy_listen_address":     proxyFleetHosts[index],
		"proxy_listen_port":        fmt.Sprint(proxyPort),
		"proxy_topology_addresses": strings.Join(proxyFleetHosts, ","),
		"proxy_topology_index":     fmt.Sprint(index),
		"metrics_address":          proxyFleetHosts[index],
		"admin_address":            proxyFleetHosts[index], // its own address: the default 127.0.0.1:14002 is one port for the whole fleet
		"log_level":                "INFO",
	}
	if u, p := origin.Credentials(); u != "" {
		kv["origin_username"], kv["origin_password"] = u, p
	}
	if u, p := target.Credentials(); u != "" {
		kv["target_username"], kv["target_password"] = u, p
		if o.TargetPassword != "" {
			kv["target_password"] = o.TargetPassword
		}
	}
	if o.PrimaryCluster != "" {
		kv["primary_cluster"] = o.PrimaryCluster
	}
	if o.ReadMode != "" {
		kv["read_mode"] = o.ReadMode
	}
	for k, v := range o.Extra {
		kv[k] = v
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %q\n", k, kv[k])
	}
	return b.String()
}

// startProxy runs fleet member index as a process with a YAML config file
// (mode 0600: it holds passwords) and kills it when the test ends. It waits
// until the proxy accepts TCP connections, or fails the test with the
// process's log if it exits first.
func startProxy(t *testing.T, c *testcluster.Clusters, o proxyOpts, index int) *proxyProc {
	t.Helper()
	bin := zdmProxyBinary(t, c.RepoRoot())
	cfgPath := filepath.Join(t.TempDir(), fmt.Sprintf("zdm-proxy-%d.yml", index))
	if err := os.WriteFile(cfgPath, []byte(proxyConfigYAML(c, o, index)), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &proxyProc{
		Addr: net.JoinHostPort(proxyFleetHosts[index], fmt.Sprint(proxyPort)),
		log:  &lockedBuffer{},
		done: make(chan struct{}),
	}
	p.cmd = exec.Command(bin, "--config", cfgPath)
	p.cmd.Stdout = p.log
	p.cmd.Stderr = p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start zdm-proxy: %v", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("zdm-proxy %s log (last lines):\n%s", p.Addr, lastLines(p.Log(), 60))
		}
		if strings.Contains(p.Log(), "panic") {
			t.Errorf("zdm-proxy %s panicked:\n%s", p.Addr, lastLines(p.Log(), 80))
		}
		if dir := os.Getenv("ZDMCTL_E2E_PROXY_LOGS"); dir != "" { // keep full logs for debugging
			name := strings.NewReplacer("/", "_", ":", "_").Replace(t.Name() + "-" + p.Addr + ".log")
			_ = os.WriteFile(filepath.Join(dir, name), []byte(p.Log()), 0o644)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", p.Addr, time.Second)
		if err == nil {
			conn.Close()
			return p
		}
		if p.Exited() {
			t.Fatalf("zdm-proxy %s exited at startup:\n%s", p.Addr, p.Log())
		}
		if time.Now().After(deadline) {
			t.Fatalf("zdm-proxy %s not listening after 20s: %v\n%s", p.Addr, err, p.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runProxyUntilExit runs fleet member index and waits for it to exit on
// its own (within limit), returning its log and exit error.
func runProxyUntilExit(t *testing.T, c *testcluster.Clusters, o proxyOpts, index int, limit time.Duration) (string, error) {
	t.Helper()
	bin := zdmProxyBinary(t, c.RepoRoot())
	cfgPath := filepath.Join(t.TempDir(), "zdm-proxy.yml")
	if err := os.WriteFile(cfgPath, []byte(proxyConfigYAML(c, o, index)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--config", cfgPath).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("zdm-proxy still running after %s:\n%s", limit, out)
	}
	return string(out), err
}

// startProxyFleet starts both fleet members with the same options.
func startProxyFleet(t *testing.T, c *testcluster.Clusters, o proxyOpts) []*proxyProc {
	t.Helper()
	var ps []*proxyProc
	for i := range proxyFleetHosts {
		ps = append(ps, startProxy(t, c, o, i))
	}
	return ps
}

// fleetAddrs is the sorted host:port list of the proxy fleet.
func fleetAddrs() []string {
	var out []string
	for _, h := range proxyFleetHosts {
		out = append(out, net.JoinHostPort(h, fmt.Sprint(proxyPort)))
	}
	sort.Strings(out)
	return out
}

// hostList parses an INFO list "[a:9042 b:9042(UP)]" into sorted host:port
// entries (the Java script appends the node state in parentheses).
func hostList(s string) []string {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "["), "]")
	var out []string
	for _, f := range strings.Fields(s) {
		if i := strings.IndexByte(f, '('); i >= 0 {
			f = f[:i]
		}
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// clusterSession opens a gocql session straight to one real cluster.
func clusterSession(t *testing.T, ep testcluster.Endpoint) *gocql.Session {
	t.Helper()
	s, err := newSession(ep.Addr(), ep)
	if err != nil {
		t.Fatalf("connect to %s directly: %v", ep.Node, err)
	}
	t.Cleanup(s.Close)
	return s
}

// newSession opens a gocql session to addr with ep's credentials (the
// client of the proxy uses Target's: it authenticates against Target).
func newSession(addr string, ep testcluster.Endpoint) (*gocql.Session, error) {
	cl := gocql.NewCluster(addr)
	cl.ProtoVersion = 4
	cl.Timeout = 15 * time.Second
	cl.ConnectTimeout = 5 * time.Second
	cl.Consistency = gocql.One
	if u, p := ep.Credentials(); u != "" {
		cl.Authenticator = gocql.PasswordAuthenticator{Username: u, Password: p}
	}
	return cl.CreateSession()
}

// verifyMatrixRows reads, with s (a direct session to one cluster), every
// row the compatibility script writes in keyspace ks and compares it with
// what the script leaves behind; the three drivers write the same rows.
func verifyMatrixRows(ctx context.Context, s *gocql.Session, ks string) error {
	kv := map[int]string{}
	extra := map[int]string{}
	it := s.Query("SELECT id, val, extra FROM " + ks + ".kv").WithContext(ctx).Iter()
	var id int
	var val, ex string
	for it.Scan(&id, &val, &ex) {
		kv[id] = val
		if ex != "" {
			extra[id] = ex
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("read %s.kv: %w", ks, err)
	}
	wantKV := map[int]string{1: "uno", 2: "two", 10: "b10", 11: "b11", 12: "b12",
		100: "used", 101: "used-prepared", 200: "v200"}
	if !reflect.DeepEqual(kv, wantKV) {
		return fmt.Errorf("%s.kv = %v, want %v", ks, kv, wantKV)
	}
	if want := map[int]string{200: "new-column"}; !reflect.DeepEqual(extra, want) {
		return fmt.Errorf("%s.kv extra = %v, want %v", ks, extra, want)
	}
	var owner string
	if err := s.Query("SELECT owner FROM " + ks + ".lwt WHERE id = 1").WithContext(ctx).Scan(&owner); err != nil || owner != "alice" {
		return fmt.Errorf("%s.lwt id=1: owner=%q err=%v, want alice", ks, owner, err)
	}
	var hits int64
	if err := s.Query("SELECT hits FROM " + ks + ".counters WHERE id = 'c1'").WithContext(ctx).Scan(&hits); err != nil || hits != 8 {
		return fmt.Errorf("%s.counters c1: hits=%d err=%v, want 8", ks, hits, err)
	}
	n := 0
	it = s.Query("SELECT seq, payload FROM " + ks + ".rows WHERE bucket = 0").WithContext(ctx).PageSize(1000).Iter()
	var seq int
	var payload string
	for it.Scan(&seq, &payload) {
		if seq != n || payload != fmt.Sprintf("row-%05d", seq) {
			_ = it.Close()
			return fmt.Errorf("%s.rows row %d: seq=%d payload=%q", ks, n, seq, payload)
		}
		n++
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("read %s.rows: %w", ks, err)
	}
	if n != gocqlmatrix.PagingRows {
		return fmt.Errorf("%s.rows has %d rows, want %d", ks, n, gocqlmatrix.PagingRows)
	}
	var tags []string
	var items []int
	var attrs map[string]int
	home := map[string]any{}
	if err := s.Query("SELECT tags, items, attrs, home FROM "+ks+".colls WHERE id = 1").WithContext(ctx).
		Scan(&tags, &items, &attrs, &home); err != nil {
		return fmt.Errorf("read %s.colls: %w", ks, err)
	}
	if !reflect.DeepEqual(tags, []string{"b"}) || !reflect.DeepEqual(items, []int{1, 2, 3, 4}) ||
		!reflect.DeepEqual(attrs, map[string]int{"x": 24, "y": 25, "z": 26}) ||
		fmt.Sprint(home["street"], "|", home["city"], "|", home["zip"]) != "1 Main St|Springfield|12345" {
		return fmt.Errorf("%s.colls id=1: tags=%v items=%v attrs=%v home=%v", ks, tags, items, attrs, home)
	}
	return nil
}

// runNegotiated runs the compatibility script without forcing a protocol
// version and fails t unless every step passed on version want ("v5").
func runNegotiated(t *testing.T, ctx context.Context, repoRoot string, r driverRun, want string) string {
	t.Helper()
	var out bytes.Buffer
	var err error
	switch r.Driver {
	case "gocql":
		err = gocqlmatrix.Run(ctx, gocqlmatrix.Config{Contact: r.Contact, Username: r.User, Password: r.Pass,
			Keyspace: r.Keyspace, Out: &out})
	case "python":
		err = runMatrixCommand(ctx, &out, r, "/usr/bin/python3", filepath.Join(repoRoot, "e2e", "drivers", "python", "matrix.py"))
	case "java":
		err = runMatrixCommand(ctx, &out, r, filepath.Join(repoRoot, "e2e", "drivers", "java", "run.sh"))
	default:
		t.Fatalf("unknown driver %q", r.Driver)
	}
	t.Logf("%s output:\n%s", r, out.String())
	if err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	if got := matrixInfo(out.String())["protocol"]; got != want {
		t.Fatalf("%s negotiated protocol %q, want %q", r, got, want)
	}
	if !strings.Contains(out.String(), "RESULT PASS driver="+r.Driver) {
		t.Fatalf("%s: no RESULT PASS line", r)
	}
	return out.String()
}

// localReads is how many single-partition reads of ks.table node ep served
// since it started (Cassandra 5's system_views.local_read_latency).
func localReads(t *testing.T, ctx context.Context, ep testcluster.Endpoint, ks, table string) int64 {
	t.Helper()
	s := clusterSession(t, ep)
	var n int64
	if err := s.Query("SELECT count FROM system_views.local_read_latency WHERE keyspace_name = ? AND table_name = ?", ks, table).
		WithContext(ctx).Scan(&n); err != nil {
		t.Fatalf("read %s's local read count of %s.%s: %v", ep.Node, ks, table, err)
	}
	return n
}
