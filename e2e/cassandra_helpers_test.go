//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gocqlmatrix "github.com/zdmctl/zdmctl/e2e/drivers/gocql"
	"github.com/zdmctl/zdmctl/internal/testcluster"
)

// The real Origin and Target clusters are shared by every test of the e2e
// package: started once, on first use, by sharedClusters. There is no TestMain
// here: register StopSharedClusters as a package teardown (it has the
// func() error shape for that) or call it after m.Run().
var (
	cassandraOnce   sync.Once
	cassandraShared *testcluster.Clusters
	cassandraErr    error
)

// sharedClusters starts (or reuses) the real Origin and Target clusters.
// The environment of the test process (ORIGIN_ADDR, TARGET_PORT, ...) is
// passed to scripts/cassandra.sh unchanged.
func sharedClusters(t testing.TB) *testcluster.Clusters {
	t.Helper()
	cassandraOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		start := time.Now()
		cassandraShared, cassandraErr = testcluster.Up(ctx, testcluster.Options{Progress: os.Stderr})
		atPackageExit(StopSharedClusters)
		if cassandraErr == nil {
			fmt.Fprintf(os.Stderr, "e2e: Origin and Target clusters up in %s\n", time.Since(start).Round(time.Second))
		}
	})
	if cassandraErr != nil {
		t.Fatalf("start real Cassandra clusters: %v", cassandraErr)
	}
	return cassandraShared
}

// StopSharedClusters stops the clusters sharedClusters started and wipes their
// data, unless ZDMCTL_E2E_KEEP_CASSANDRA=1 (to reuse them in the next run).
// Meant for the package's TestMain, after m.Run().
func StopSharedClusters() error {
	if cassandraShared == nil || os.Getenv("ZDMCTL_E2E_KEEP_CASSANDRA") == "1" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := cassandraShared.Down(ctx); err != nil {
		return fmt.Errorf("stop Cassandra clusters: %w", err)
	}
	return nil
}

// driverRun is one run of the compatibility script with one driver.
type driverRun struct {
	Driver   string // gocql, python or java
	Contact  string // host:port
	User     string // empty: no authentication
	Pass     string
	Proto    int // 4 or 5
	Keyspace string
	// Compression: "" (none), "lz4" or "snappy".
	Compression string
	// TLSCA: connect over TLS, verifying each node's certificate (and
	// address) with this PEM CA.
	TLSCA string
}

func (r driverRun) String() string {
	auth := ""
	if r.User != "" {
		auth = "+auth"
	}
	comp := ""
	if r.Compression != "" {
		comp = "+" + r.Compression
	}
	if r.TLSCA != "" {
		comp += "+tls"
	}
	return fmt.Sprintf("%s/v%d%s%s@%s", r.Driver, r.Proto, auth, comp, r.Contact)
}

// runDriverMatrix runs the compatibility script and fails t unless every step
// passed on the requested protocol version. It returns the script's output;
// matrixInfo extracts its INFO lines (protocol, local node, peers, hosts).
func runDriverMatrix(t *testing.T, ctx context.Context, repoRoot string, r driverRun) string {
	t.Helper()
	var out bytes.Buffer
	var err error
	switch r.Driver {
	case "gocql":
		err = gocqlmatrix.Run(ctx, gocqlmatrix.Config{
			Contact: r.Contact, Username: r.User, Password: r.Pass,
			Proto: r.Proto, Keyspace: r.Keyspace, Compression: r.Compression, TLSCA: r.TLSCA, Out: &out,
		})
	case "python":
		err = runMatrixCommand(ctx, &out, r, "/usr/bin/python3",
			filepath.Join(repoRoot, "e2e", "drivers", "python", "matrix.py"))
	case "java":
		err = runMatrixCommand(ctx, &out, r, filepath.Join(repoRoot, "e2e", "drivers", "java", "run.sh"))
	default:
		t.Fatalf("unknown driver %q", r.Driver)
	}
	t.Logf("%s output:\n%s", r, out.String())
	if err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	info := matrixInfo(out.String())
	if got, want := info["protocol"], fmt.Sprintf("v%d", r.Proto); got != want {
		t.Fatalf("%s negotiated protocol %q, want %q", r, got, want)
	}
	if !strings.Contains(out.String(), "RESULT PASS driver="+r.Driver) {
		t.Fatalf("%s: no RESULT PASS line", r)
	}
	return out.String()
}

func runMatrixCommand(ctx context.Context, out io.Writer, r driverRun, argv ...string) error {
	args := append(argv[1:], "--contact", r.Contact, "--proto", fmt.Sprint(r.Proto), "--keyspace", r.Keyspace)
	if r.User != "" {
		args = append(args, "--user", r.User)
	}
	if r.Compression != "" {
		args = append(args, "--compression", r.Compression)
	}
	if r.TLSCA != "" {
		args = append(args, "--tls-ca", r.TLSCA)
	}
	cmd := exec.CommandContext(ctx, argv[0], args...)
	cmd.Env = append(os.Environ(), "CQL_PASSWORD="+r.Pass) // never in argv
	var stderr bytes.Buffer
	cmd.Stdout = out
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\nstderr:\n%s", argv[len(argv)-1], err, lastLines(stderr.String(), 40))
	}
	return nil
}

// matrixInfo returns the INFO lines of a compatibility script's output:
// "protocol" -> "v5", "local" -> "cluster=... release=... rpc_address=...",
// "peers" -> "[a:9042 b:9042]", "driver-hosts" -> "[...]".
func matrixInfo(out string) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "INFO ")
		if !ok {
			continue
		}
		if k, v, ok := strings.Cut(rest, "="); ok && k == "protocol" {
			m[k] = v
			continue
		}
		if k, v, ok := strings.Cut(rest, ": "); ok {
			m[k] = v
		}
	}
	return m
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
