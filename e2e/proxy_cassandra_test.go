//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/zdmctl/zdmctl/internal/testcluster"
)

// TestProxyCassandraDrivers runs the compatibility script of every driver,
// on protocol v4, v5 and negotiated, through a fleet of two zdm-proxy processes in front
// of the real Origin (primary) and Target, then reads every row the script
// wrote straight from both clusters.
func TestProxyCassandraDrivers(t *testing.T) {
	c := sharedClusters(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	fleet := startProxyFleet(t, c, proxyOpts{})
	i := 0
	for _, d := range []string{"gocql", "python", "java"} {
		for _, proto := range []int{4, 5} {
			contact := fleet[i%len(fleet)].Addr // alternate the contact point
			i++
			runThroughProxy(t, ctx, c, d, proto, contact, testcluster.Origin, false)
		}
	}
	// No version forced: the driver, the proxy and Cassandra 5 settle on v5
	// (drivers that open with a higher or DSE version are refused by the
	// proxy with the message drivers recognise, and step down).
	for _, d := range []string{"gocql", "python", "java"} {
		runThroughProxy(t, ctx, c, d, 0, fleet[0].Addr, testcluster.Origin, false)
	}
	t.Run("lwt answer comes from Origin", func(t *testing.T) {
		checkLWTFromPrimary(t, ctx, c, fleet[0].Addr, testcluster.Origin)
	})
}

// TestProxyCassandraCompression runs the script with frame compression:
// each driver compresses its frames to the proxy (LZ4, and Snappy on v4),
// the proxy talks to Cassandra uncompressed. The proxies' debug log shows
// every driver's STARTUP asked for it, so the runs really were compressed.
func TestProxyCassandraCompression(t *testing.T) {
	c := sharedClusters(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	fleet := startProxyFleet(t, c, proxyOpts{Extra: map[string]string{"log_level": "DEBUG"}})
	runs := []struct {
		driver string
		proto  int
		comp   string
	}{
		{"gocql", 4, "lz4"}, {"gocql", 4, "snappy"}, {"gocql", 5, "lz4"},
		{"python", 4, "lz4"}, {"python", 5, "lz4"},
		{"java", 4, "lz4"}, {"java", 5, "lz4"},
	}
	for i, r := range runs {
		runThroughProxyWith(t, ctx, c, r.driver, r.proto, fleet[i%len(fleet)].Addr, testcluster.Origin, false, clientOpts{Compression: r.comp})
	}
	var logs string
	for _, p := range fleet {
		logs += p.Log()
	}
	// gocql sends no DRIVER_NAME; the others name themselves.
	for _, want := range []struct{ driver, comp, name string }{
		{"gocql", "lz4", `driver=""`}, {"gocql", "snappy", `driver=""`},
		{"python", "lz4", "Python"}, {"java", "lz4", "Java"},
	} {
		n := 0
		for _, line := range strings.Split(logs, "\n") {
			if strings.Contains(line, "client STARTUP") && strings.Contains(line, "compression="+want.comp) && strings.Contains(line, want.name) {
				n++
			}
		}
		t.Logf("%s: %d client STARTUPs with compression=%s", want.driver, n, want.comp)
		if n == 0 {
			t.Errorf("no STARTUP of %s asked for %s: the runs were not compressed", want.driver, want.comp)
		}
	}
}

// TestProxyCassandraReadModes repeats the script with one driver each under
// read_mode DUAL_ASYNC_ON_SECONDARY and under primary_cluster TARGET.
func TestProxyCassandraReadModes(t *testing.T) {
	c := sharedClusters(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	t.Run("dual async reads", func(t *testing.T) {
		fleet := startProxyFleet(t, c, proxyOpts{ReadMode: "DUAL_ASYNC_ON_SECONDARY"})
		runThroughProxy(t, ctx, c, "python", 5, fleet[1].Addr, testcluster.Origin, true)
		runThroughProxy(t, ctx, c, "gocql", 4, fleet[0].Addr, testcluster.Origin, true)
	})
	t.Run("target primary", func(t *testing.T) {
		fleet := startProxyFleet(t, c, proxyOpts{PrimaryCluster: "TARGET"})
		runThroughProxy(t, ctx, c, "java", 5, fleet[0].Addr, testcluster.Target, false)
		t.Run("lwt answer comes from Target", func(t *testing.T) {
			checkLWTFromPrimary(t, ctx, c, fleet[1].Addr, testcluster.Target)
		})
	})
}

// runThroughProxy runs one driver's script through the proxy at contact as
// a subtest, checks that the driver sees the proxy fleet (not the Cassandra
// nodes) as the cluster and that its reads went to the primary (and, with
// dualReads, were replayed on the secondary), then checks the rows on Origin
// and Target.
func runThroughProxy(t *testing.T, ctx context.Context, c *testcluster.Clusters, driver string, proto int, contact string, primary testcluster.Node, dualReads bool) {
	t.Helper()
	runThroughProxyWith(t, ctx, c, driver, proto, contact, primary, dualReads, clientOpts{})
}

// clientOpts are driver settings beyond the defaults.
type clientOpts struct {
	Compression string // "", "lz4" or "snappy"
	TLSCA       string // PEM CA of the proxies' certificate: connect over TLS
}

// runThroughProxyWith is runThroughProxy with the driver settings o.
func runThroughProxyWith(t *testing.T, ctx context.Context, c *testcluster.Clusters, driver string, proto int, contact string, primary testcluster.Node, dualReads bool, o clientOpts) {
	t.Helper()
	comp := o.Compression
	origin, target := c.Endpoint(testcluster.Origin), c.Endpoint(testcluster.Target)
	// The client authenticates against Target (it needs auth); the proxy
	// logs into Origin itself if Origin needs it.
	u, p := target.Credentials()
	if u == "" {
		u, p = origin.Credentials()
	}
	mode := strings.ToLower(string(primary))
	if dualReads {
		mode += "_dual"
	}
	if comp != "" {
		mode += "_" + comp
	}
	if o.TLSCA != "" {
		mode += "_tls"
	}
	ks := fmt.Sprintf("e2e_proxy_%s_v%d_%s", driver, proto, mode)
	r := driverRun{Driver: driver, Contact: contact, User: u, Pass: p, Proto: proto, Keyspace: ks, Compression: comp, TLSCA: o.TLSCA}
	t.Run(strings.ReplaceAll(r.String(), "/", "_"), func(t *testing.T) {
		start := time.Now()
		var out string
		if proto == 0 {
			out = runNegotiated(t, ctx, c.RepoRoot(), r, "v5")
		} else {
			out = runDriverMatrix(t, ctx, c.RepoRoot(), r)
		}
		t.Logf("%s: script took %s", r, time.Since(start).Round(100*time.Millisecond))
		info := matrixInfo(out)
		if got, want := hostList(info["driver-hosts"]), fleetAddrs(); !reflect.DeepEqual(got, want) {
			t.Errorf("driver sees hosts %v, want exactly the proxy fleet %v", got, want)
		}
		// system.local and system.peers are answered by whichever proxy the
		// driver picked for the query (the queries are load-balanced): each
		// names proxies only, the peers all but one of the fleet.
		if !strings.Contains(info["local"], "cluster="+origin.ClusterName) {
			t.Errorf("system.local says %q, want Origin's cluster %s", info["local"], origin.ClusterName)
		}
		_, rpc, _ := strings.Cut(info["local"], "rpc_address=")
		if !slices.Contains(proxyFleetHosts, strings.TrimSpace(rpc)) {
			t.Errorf("system.local rpc_address %q is not a proxy of %v", rpc, proxyFleetHosts)
		}
		peers := hostList(info["peers"])
		for _, peer := range peers {
			if !slices.Contains(proxyFleetHosts, strings.Split(peer, ":")[0]) {
				t.Errorf("system.peers lists %s, not a proxy of %v", peer, proxyFleetHosts)
			}
		}
		if len(peers) != len(proxyFleetHosts)-1 {
			t.Errorf("system.peers = %v, want %d other proxy(ies)", peers, len(proxyFleetHosts)-1)
		}
		secondary := testcluster.Target
		if primary == testcluster.Target {
			secondary = testcluster.Origin
		}
		// The script reads kv by key many times; the checks below scan it
		// (a range read, counted elsewhere), so count before and after alike.
		pReads := localReads(t, ctx, c.Endpoint(primary), ks, "kv")
		sReads := localReads(t, ctx, c.Endpoint(secondary), ks, "kv")
		t.Logf("single-partition reads of %s.kv: %d on the primary %s, %d on the secondary %s", ks, pReads, primary, sReads, secondary)
		if pReads == 0 {
			t.Errorf("the primary %s served no read of %s.kv", primary, ks)
		}
		if dualReads && sReads == 0 {
			t.Errorf("read_mode DUAL_ASYNC_ON_SECONDARY: no read of %s.kv replayed on the secondary %s", ks, secondary)
		}
		if !dualReads && sReads != 0 {
			t.Errorf("read_mode PRIMARY_ONLY: the secondary %s served %d reads of %s.kv", secondary, sReads, ks)
		}
		for _, ep := range []testcluster.Endpoint{origin, target} {
			s := clusterSession(t, ep)
			if err := verifyMatrixRows(ctx, s, ks); err != nil {
				t.Errorf("read directly from %s: %v", ep.Node, err)
			}
		}
	})
}

// checkLWTFromPrimary seeds a row only on the secondary and another only on
// the primary (straight to each cluster), then runs INSERT ... IF NOT
// EXISTS through the proxy for both: the [applied] answer must be the
// primary's each time.
func checkLWTFromPrimary(t *testing.T, ctx context.Context, c *testcluster.Clusters, proxyAddr string, primary testcluster.Node) {
	secondary := testcluster.Target
	if primary == testcluster.Target {
		secondary = testcluster.Origin
	}
	target := c.Endpoint(testcluster.Target)
	ps, err := newSession(proxyAddr, target)
	if err != nil {
		t.Fatalf("connect through the proxy: %v", err)
	}
	defer ps.Close()
	ks := "e2e_proxy_lwt_" + string(primary)
	for _, st := range []string{
		"DROP KEYSPACE IF EXISTS " + ks,
		"CREATE KEYSPACE " + ks + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE " + ks + ".t (id int PRIMARY KEY, owner text)",
	} {
		if err := ps.Query(st).WithContext(ctx).Exec(); err != nil {
			t.Fatalf("%s through the proxy: %v", st, err)
		}
	}
	seed := func(n testcluster.Node, id int, owner string) {
		s := clusterSession(t, c.Endpoint(n))
		if err := s.Query("INSERT INTO "+ks+".t (id, owner) VALUES (?, ?)", id, owner).WithContext(ctx).Exec(); err != nil {
			t.Fatalf("seed %s: %v", n, err)
		}
	}
	seed(secondary, 1, "secondary-only")
	seed(primary, 2, "primary-only")
	lwt := "INSERT INTO " + ks + ".t (id, owner) VALUES (?, ?) IF NOT EXISTS"

	prev := map[string]any{}
	applied, err := ps.Query(lwt, 1, "proxy").WithContext(ctx).MapScanCAS(prev)
	if err != nil {
		t.Fatalf("LWT id=1: %v", err)
	}
	if !applied {
		t.Errorf("LWT id=1 (row only on the secondary %s): [applied]=false %v, want true from the primary %s", secondary, prev, primary)
	}
	prev = map[string]any{}
	applied, err = ps.Query(lwt, 2, "proxy").WithContext(ctx).MapScanCAS(prev)
	if err != nil {
		t.Fatalf("LWT id=2: %v", err)
	}
	if applied || prev["owner"] != "primary-only" {
		t.Errorf("LWT id=2 (row only on the primary %s): applied=%v existing=%v, want false with owner primary-only", primary, applied, prev)
	}
}

// TestProxyCassandraTargetOutage stops Target while a gocql client writes
// through the proxy: writes must fail (not be acknowledged), every
// acknowledged write must be on both clusters, and once Target is back the
// same proxy processes accept writes again.
func TestProxyCassandraTargetOutage(t *testing.T) {
	c := sharedClusters(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	fleet := startProxyFleet(t, c, proxyOpts{Extra: map[string]string{"proxy_request_timeout_ms": "3000"}})
	target := c.Endpoint(testcluster.Target)

	cl := gocql.NewCluster(fleet[0].Addr)
	cl.ProtoVersion = 4
	cl.Timeout = 5 * time.Second
	cl.ConnectTimeout = 3 * time.Second
	cl.ReconnectInterval = time.Second
	cl.Consistency = gocql.One
	u, p := target.Credentials()
	cl.Authenticator = gocql.PasswordAuthenticator{Username: u, Password: p}
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatalf("connect through the proxy: %v", err)
	}
	defer s.Close()
	const ks = "e2e_proxy_outage"
	for _, st := range []string{
		"DROP KEYSPACE IF EXISTS " + ks,
		"CREATE KEYSPACE " + ks + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE " + ks + ".t (id int PRIMARY KEY, v text)",
	} {
		if err := s.Query(st).WithContext(ctx).Exec(); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}

	w := &ackWriter{s: s, stmt: "INSERT INTO " + ks + ".t (id, v) VALUES (?, ?)"}
	wctx, stopWriter := context.WithCancel(ctx)
	writerDone := make(chan struct{})
	go func() { w.run(wctx, 4); close(writerDone) }()
	defer func() { stopWriter(); <-writerDone }()

	waitFor(t, ctx, "50 acknowledged writes before the outage", 60*time.Second, func() bool { return w.acks() >= 50 })
	if err := c.Stop(ctx, testcluster.Target); err != nil {
		t.Fatalf("stop Target: %v", err)
	}
	defer func() {
		if up, _ := c.Running(context.Background(), testcluster.Target); !up {
			_ = c.Start(context.Background(), testcluster.Target)
		}
	}()
	stoppedAt := w.mark()
	waitFor(t, ctx, "writes failing while Target is down", 60*time.Second, func() bool { return w.failuresSince(stoppedAt) >= 5 })
	t.Logf("with Target down: %d writes failed since the stop, e.g. %q", w.failuresSince(stoppedAt), w.lastError())

	if err := c.Start(ctx, testcluster.Target); err != nil {
		t.Fatalf("start Target again: %v", err)
	}
	startedAt := w.mark()
	waitFor(t, ctx, "writes succeeding again after Target restarted", 2*time.Minute, func() bool { return w.acksSince(startedAt) >= 20 })
	stopWriter()
	<-writerDone
	for _, pr := range fleet {
		if pr.Exited() {
			t.Fatalf("proxy %s exited during the outage:\n%s", pr.Addr, lastLines(pr.Log(), 40))
		}
	}

	acked := w.ackedIDs()
	t.Logf("%d writes acknowledged, %d failed: %v", len(acked), w.failures(), w.errorKinds())
	for _, pr := range fleet {
		if strings.Contains(pr.Log(), "panic") {
			t.Errorf("proxy %s panicked:\n%s", pr.Addr, lastLines(pr.Log(), 60))
		}
		t.Logf("proxy %s log during the outage:\n%s", pr.Addr, lastLines(pr.Log(), 15))
	}
	for _, n := range []testcluster.Node{testcluster.Origin, testcluster.Target} {
		ds := clusterSession(t, c.Endpoint(n))
		have := map[int]bool{}
		it := ds.Query("SELECT id FROM " + ks + ".t").WithContext(ctx).PageSize(5000).Iter()
		var id int
		for it.Scan(&id) {
			have[id] = true
		}
		if err := it.Close(); err != nil {
			t.Fatalf("read %s directly: %v", n, err)
		}
		var missing []int
		for _, id := range acked {
			if !have[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s lacks %d acknowledged writes: %v", n, len(missing), head(missing, 20))
		}
	}
}

// TestProxyCassandraBadCredentials: a proxy configured with a wrong Target
// password, and a client presenting a wrong password, each get a clear
// authentication error.
func TestProxyCassandraBadCredentials(t *testing.T) {
	c := sharedClusters(t)
	target := c.Endpoint(testcluster.Target)
	if !target.Auth {
		t.Skip("Target has no authentication")
	}
	t.Run("proxy with a wrong target_password", func(t *testing.T) {
		const wrong = "not-the-target-password"
		log, err := runProxyUntilExit(t, c, proxyOpts{TargetPassword: wrong}, 0, 45*time.Second)
		if err == nil {
			t.Fatalf("zdm-proxy with a wrong target_password exited cleanly:\n%s", log)
		}
		for _, want := range []string{
			"a cluster rejected the configured credentials",
			"TARGET credentials rejected: target_username/target_password",
			"Provided username cassandra and/or password are incorrect",
		} {
			if !strings.Contains(log, want) {
				t.Errorf("startup log lacks %q:\n%s", want, log)
			}
		}
		if strings.Contains(log, wrong) {
			t.Errorf("the password appears in the log:\n%s", log)
		}
	})
	t.Run("client with a wrong password", func(t *testing.T) {
		fleet := startProxyFleet(t, c, proxyOpts{})
		cl := gocql.NewCluster(fleet[0].Addr)
		cl.ProtoVersion = 4
		cl.ConnectTimeout = 5 * time.Second
		cl.Authenticator = gocql.PasswordAuthenticator{Username: testcluster.Username, Password: "not-the-password"}
		s, err := cl.CreateSession()
		if err == nil {
			s.Close()
			t.Fatal("session with a wrong password succeeded through the proxy")
		}
		if !strings.Contains(err.Error(), "Provided username cassandra and/or password are incorrect") {
			t.Errorf("error %q does not carry Target's authentication message", err)
		}
	})
}

// ackWriter inserts rows with distinct ids and records which were
// acknowledged and which failed.
type ackWriter struct {
	s    *gocql.Session
	stmt string

	mu      sync.Mutex
	acked   []int
	nFail   int
	lastErr error
	kinds   map[string]int // distinct error messages and how often
}

// run writes with n concurrent workers (ids w, w+n, w+2n, ...) until ctx
// ends.
func (w *ackWriter) run(ctx context.Context, n int) {
	var wg sync.WaitGroup
	for k := 0; k < n; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := k; ctx.Err() == nil; id += n {
				w.write(ctx, id)
			}
		}()
	}
	wg.Wait()
}

func (w *ackWriter) write(ctx context.Context, id int) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err := w.s.Query(w.stmt, id, fmt.Sprintf("v%d", id)).WithContext(qctx).Exec()
	cancel()
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return // stopped mid-write: neither acked nor a real failure
	}
	w.mu.Lock()
	if err == nil {
		w.acked = append(w.acked, id)
	} else {
		w.nFail++
		w.lastErr = err
		if w.kinds == nil {
			w.kinds = map[string]int{}
		}
		w.kinds[err.Error()]++
	}
	w.mu.Unlock()
	if err != nil {
		time.Sleep(200 * time.Millisecond)
	} else {
		time.Sleep(10 * time.Millisecond)
	}
}

type writerMark struct{ acks, fails int }

func (w *ackWriter) mark() writerMark {
	w.mu.Lock()
	defer w.mu.Unlock()
	return writerMark{len(w.acked), w.nFail}
}

func (w *ackWriter) acks() int { return w.mark().acks }

func (w *ackWriter) failures() int { return w.mark().fails }

func (w *ackWriter) acksSince(m writerMark) int { return w.mark().acks - m.acks }

func (w *ackWriter) failuresSince(m writerMark) int { return w.mark().fails - m.fails }

func (w *ackWriter) lastError() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lastErr == nil {
		return ""
	}
	return w.lastErr.Error()
}

func (w *ackWriter) errorKinds() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.kinds)
}

func (w *ackWriter) ackedIDs() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int(nil), w.acked...)
}

// waitFor polls cond every 200ms until it holds, failing t after limit.
func waitFor(t *testing.T, ctx context.Context, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func head(ids []int, n int) []int {
	if len(ids) > n {
		return ids[:n]
	}
	return ids
}
