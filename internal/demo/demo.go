// Package demo runs zdm-proxy locally against two in-memory clusters and
// walks, with a real driver (gocql), the five phases of a migration: what
// the proxy does with each kind of request, the backfill of older rows,
// validation with mismatch counts, the switch of primary and the client
// cutover, printing at each step the zdmctl command an operator would run
// (docs/migration.md). It needs no Cassandra, no root and no network
// beyond loopback.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/metrics"
)

// Options for one demo run.
type Options struct {
	Out    io.Writer // the story, for people
	Writes int       // rows written per step (default 5)
}

const reads = 3 // point reads per routing step

// Run starts Origin, Target and the proxy and walks the migration's phases.
func Run(ctx context.Context, o Options) error {
	if o.Writes <= 0 {
		o.Writes = 5
	}
	origin, err := cqltest.New(cqltest.Options{Name: "origin"})
	if err != nil {
		return err
	}
	defer origin.Close()
	target, err := cqltest.New(cqltest.Options{Name: "target", IDSalt: "target"})
	if err != nil {
		return err
	}
	defer target.Close()
	originRows, targetRows := attachTable(origin), attachTable(target)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: listen: %w", err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	cfg, _, err := config.Load("", []string{
		"ZDM_ORIGIN_CONTACT_POINTS=" + origin.Host(), "ZDM_ORIGIN_PORT=" + strconv.Itoa(origin.Port()),
		"ZDM_TARGET_CONTACT_POINTS=" + target.Host(), "ZDM_TARGET_PORT=" + strconv.Itoa(target.Port()),
		"ZDM_PROXY_LISTEN_ADDRESS=127.0.0.1", "ZDM_PROXY_LISTEN_PORT=" + port,
		"ZDM_PROXY_TOPOLOGY_ADDRESSES=127.0.0.1",
	})
	if err != nil {
		return fmt.Errorf("demo: proxy config: %w", err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := metrics.New(metrics.Options{})
	obs := proxy.NewObserver(m, quiet, 1, false)
	srv := proxy.New(cfg, proxy.Options{Logger: quiet, Hooks: obs.Hooks()})
	go srv.Serve(ln)
	defer srv.Close()

	out := o.Out
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	cmd := func(line string) { say("  $ %s", line) }
	rows := func() {
		say("  rows in shop.orders: Origin %d, Target %d", originRows.len(), targetRows.len())
	}
	routed := func() {
		say("  %-7s writes %2d   reads %2d", "Origin", count(origin, "INSERT"), count(origin, "SELECT"))
		say("  %-7s writes %2d   reads %2d", "Target", count(target, "INSERT"), count(target, "SELECT"))
	}
	reset := func() { origin.Reset(); target.Reset() }
	next := 0
	write := func(s *gocql.Session, n int) error {
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("order-%02d", next)
			next++
			if err := s.Query("INSERT INTO shop.orders (id, item) VALUES (?, ?)", id, "book").ExecContext(ctx); err != nil {
				return fmt.Errorf("demo: write %s: %w", id, err)
			}
		}
		return nil
	}
	read := func(s *gocql.Session, ids []string) error {
		for _, id := range ids {
			var got, item string
			if err := s.Query("SELECT id, item FROM shop.orders WHERE id = ?", id).WithContext(ctx).Scan(&got, &item); err != nil && err != gocql.ErrNotFound {
				return fmt.Errorf("demo: read %s: %w", id, err)
			}
		}
		return nil
	}

	say("Origin (in memory) on %s, Target (in memory) on %s", origin.Addr, target.Addr)
	say("zdm-proxy on %s. Runbook: docs/migration.md\n", ln.Addr())

	// Direct sessions: the application before the migration and after the
	// cutover, and the copy job.
	onOrigin, err := connect(origin.Addr)
	if err != nil {
		return err
	}
	defer onOrigin.Close()
	onTarget, err := connect(target.Addr)
	if err != nil {
		return err
	}
	defer onTarget.Close()

	// Before: the application uses Origin directly.
	if err := write(onOrigin, o.Writes); err != nil {
		return err
	}
	say("Before the migration: the application writes %d orders to Origin directly.", o.Writes)
	rows()
	say("  (Target has the schema already: CREATE KEYSPACE/TABLE run there first.)\n")

	// Phase 1.
	say("Phase 1: deploy the proxies and point the application at them (dual writes, reads from Origin)")
	cmd("zdmctl deploy")
	cmd("zdmctl status")
	app, err := connect(ln.Addr().String())
	if err != nil {
		return fmt.Errorf("demo: connect through the proxy: %w", err)
	}
	defer func() {
		if app != nil {
			app.Close()
		}
	}()
	reset()
	if err := write(app, o.Writes); err != nil {
		return err
	}
	if err := read(app, originRows.ids()[:reads]); err != nil {
		return err
	}
	routed()
	rows()
	say("  Every new write reached both clusters; the %d older orders are on Origin only.\n", o.Writes)

	// Phase 2.
	say("Phase 2: copy the rows written before the proxies to Target")
	say("  (here a small copy stands in for Cassandra Data Migrator; the real job keeps each")
	say("   cell's writetime and TTL so a live write is never overwritten by an older copy)")
	cmd("spark-submit --properties-file cdm.properties --conf spark.cdm.schema.origin.keyspaceTable=shop.orders --class com.datastax.cdm.job.Migrate cassandra-data-migrator-5.x.x.jar")
	skip := "order-01" // as a failed token range would: phase 3 finds it
	copied, err := copyTable(ctx, onOrigin, onTarget, skip)
	if err != nil {
		return err
	}
	say("  copied %d rows (%s left out on purpose, as a failed token range would)", copied, skip)
	rows()
	say("")

	// Phase 3.
	say("Phase 3: validate Target: reads are replayed there and the rows compared")
	cmd("zdmctl rolling-update --read-mode DUAL_ASYNC_ON_SECONDARY")
	st := *srv.Settings()
	st.DualAsyncReads = true
	srv.SetSettings(st)
	validate := func() (compared, mismatched float64, err error) {
		c0, m0 := counter(m, "zdm_async_read_compared_total"), counter(m, "zdm_async_read_mismatch_total")
		ids := originRows.ids()
		if err := read(app, ids); err != nil {
			return 0, 0, err
		}
		// Replays finish after the client's answer (they never delay it).
		for deadline := time.Now().Add(5 * time.Second); counter(m, "zdm_async_read_compared_total")-c0 < float64(len(ids)) && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		return counter(m, "zdm_async_read_compared_total") - c0, counter(m, "zdm_async_read_mismatch_total") - m0, nil
	}
	c, mm, err := validate()
	if err != nil {
		return err
	}
	say("  read every order: compared %.0f (zdm_async_read_compared_total), mismatched %.0f (zdm_async_read_mismatch_total, tables: %s)", c, mm, mismatchTables(m))
	say("  A mismatch: not ready to switch. Re-run the copy for shop.orders:")
	cmd("spark-submit --properties-file cdm.properties --conf spark.cdm.schema.origin.keyspaceTable=shop.orders --class com.datastax.cdm.job.Migrate cassandra-data-migrator-5.x.x.jar")
	if _, err := copyTable(ctx, onOrigin, onTarget, ""); err != nil {
		return err
	}
	c, mm, err = validate()
	if err != nil {
		return err
	}
	say("  read every order again: compared %.0f, mismatched %.0f", c, mm)
	rows()
	say("")

	// Phase 4.
	say("Phase 4: Target becomes the primary: reads from Target, writes still to both")
	cmd("zdmctl rolling-update --primary-cluster TARGET")
	cmd("zdmctl rolling-update --read-mode PRIMARY_ONLY")
	st.DualAsyncReads = false
	st.Primary = proxy.Target
	srv.SetSettings(st)
	reset()
	if err := write(app, o.Writes); err != nil {
		return err
	}
	if err := read(app, targetRows.ids()[:reads]); err != nil {
		return err
	}
	routed()
	say("  Way back, at any time until phase 5: zdmctl rolling-update --primary-cluster ORIGIN\n")

	// Phase 5.
	say("Phase 5: point the application at Target directly, then remove the proxies")
	app.Close()
	app = nil
	for deadline := time.Now().Add(5 * time.Second); srv.Stats().ClientConnections > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	cmd("zdmctl status")
	say("  client connections left on the proxy: %d", srv.Stats().ClientConnections)
	cmd("zdmctl teardown")
	reset()
	if err := write(onTarget, o.Writes); err != nil {
		return err
	}
	routed()
	rows()
	say("\nEvery write through the proxy was acknowledged only after both clusters accepted it;")
	say("Origin stops receiving writes at the cutover.")
	return nil
}

// connect opens a gocql session to one node, without topology discovery.
func connect(addr string) (*gocql.Session, error) {
	cl := gocql.NewCluster(addr)
	cl.ProtoVersion = 4
	cl.Timeout = 5 * time.Second
	cl.DisableInitialHostLookup = true
	cl.Metadata.CacheMode = gocql.Disabled // the in-memory clusters have no schema tables
	s, err := cl.CreateSession()
	if err != nil {
		return nil, fmt.Errorf("demo: connect to %s: %w", addr, err)
	}
	return s, nil
}

// copyTable copies shop.orders from Origin to Target directly (not through
// the proxy), leaving out the row with id skip; it returns the rows copied.
func copyTable(ctx context.Context, src, dst *gocql.Session, skip string) (int, error) {
	it := src.Query("SELECT id, item FROM shop.orders").WithContext(ctx).Iter()
	var id, item string
	n := 0
	for it.Scan(&id, &item) {
		if id == skip {
			continue
		}
		if err := dst.Query("INSERT INTO shop.orders (id, item) VALUES (?, ?)", id, item).ExecContext(ctx); err != nil {
			return n, fmt.Errorf("demo: copy %s: %w", id, err)
		}
		n++
	}
	if err := it.Close(); err != nil {
		return n, fmt.Errorf("demo: read Origin: %w", err)
	}
	return n, nil
}

// counter sums a counter family of the proxy's metrics.
func counter(m *metrics.Metrics, name string) float64 {
	fams, err := m.Registry().Gather()
	if err != nil {
		return 0
	}
	var sum float64
	for _, f := range fams {
		if f.GetName() == name {
			for _, mt := range f.GetMetric() {
				sum += mt.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// mismatchTables lists the keyspace.table labels of the mismatch counter.
func mismatchTables(m *metrics.Metrics) string {
	fams, _ := m.Registry().Gather()
	var out []string
	for _, f := range fams {
		if f.GetName() != "zdm_async_read_mismatch_total" {
			continue
		}
		for _, mt := range f.GetMetric() {
			l := map[string]string{}
			for _, lp := range mt.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			out = append(out, l["keyspace"]+"."+l["table"])
		}
	}
	return strings.Join(out, ", ")
}

// count is how many statements starting with verb the cluster executed
// (simple or prepared; PREPARE itself is not an execution).
func count(c *cqltest.Cluster, verb string) int {
	n := 0
	for _, r := range c.Received() {
		if (r.Opcode == primitive.OpCodeQuery || r.Opcode == primitive.OpCodeExecute) && strings.HasPrefix(r.Query, verb) {
			n++
		}
	}
	return n
}
