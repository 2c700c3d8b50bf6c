// Package demo runs zdm-proxy locally against two in-memory clusters and
// shows, with a real driver (gocql), what the proxy does with each kind of
// request. It needs no Cassandra, no root and no network beyond loopback.
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
)

// Options for one demo run.
type Options struct {
	Out    io.Writer // the story, for people
	Writes int       // rows written per step (default 5)
}

// Run starts Origin, Target and the proxy, drives traffic through the proxy
// in each migration phase and reports what each cluster received.
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
	srv := proxy.New(cfg, proxy.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	go srv.Serve(ln)
	defer srv.Close()

	fmt.Fprintf(o.Out, "Origin (in memory) on %s, Target (in memory) on %s\n", origin.Addr, target.Addr)
	fmt.Fprintf(o.Out, "zdm-proxy on %s; gocql connects to the proxy only\n\n", ln.Addr())

	cluster := gocql.NewCluster(ln.Addr().String())
	cluster.ProtoVersion = 4
	cluster.Timeout = 5 * time.Second
	cluster.DisableInitialHostLookup = true
	session, err := cluster.CreateSession()
	if err != nil {
		return fmt.Errorf("demo: connect through the proxy: %w", err)
	}
	defer session.Close()

	step := func(title string, reads int) error {
		origin.Reset()
		target.Reset()
		for i := 0; i < o.Writes; i++ {
			if err := session.Query("INSERT INTO shop.orders (id, item) VALUES (?, ?)", strconv.Itoa(i), "book").ExecContext(ctx); err != nil {
				return fmt.Errorf("demo: write through the proxy: %w", err)
			}
		}
		for i := 0; i < reads; i++ {
			if err := session.Query("SELECT id, item FROM shop.orders WHERE id = ?", strconv.Itoa(i)).ExecContext(ctx); err != nil {
				return fmt.Errorf("demo: read through the proxy: %w", err)
			}
		}
		// Background reads on the secondary finish after the client's answer:
		// give them a moment (they never delay the client).
		if srv.Settings().DualAsyncReads {
			secondary := target
			if srv.Settings().Primary == proxy.Target {
				secondary = origin
			}
			for deadline := time.Now().Add(5 * time.Second); count(secondary, "SELECT") < reads && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
		}
		fmt.Fprintf(o.Out, "%s\n", title)
		fmt.Fprintf(o.Out, "  %-7s writes %2d   reads %2d\n", "Origin", count(origin, "INSERT"), count(origin, "SELECT"))
		fmt.Fprintf(o.Out, "  %-7s writes %2d   reads %2d\n\n", "Target", count(target, "INSERT"), count(target, "SELECT"))
		return nil
	}

	if err := step("Phase 1: dual writes, reads from Origin (primary_cluster ORIGIN, read_mode PRIMARY_ONLY)", 3); err != nil {
		return err
	}
	st := *srv.Settings()
	st.DualAsyncReads = true
	srv.SetSettings(st)
	if err := step("Phase 3: reads also replayed on Target in the background (read_mode DUAL_ASYNC_ON_SECONDARY)", 3); err != nil {
		return err
	}
	st.DualAsyncReads = false
	st.Primary = proxy.Target
	srv.SetSettings(st)
	if err := step("Phase 4: Target is primary; writes still go to both (primary_cluster TARGET)", 3); err != nil {
		return err
	}
	fmt.Fprintln(o.Out, "Every write was acknowledged only after both clusters accepted it.")
	return nil
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
