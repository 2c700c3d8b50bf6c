//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/zdmctl/zdmctl/internal/testcluster"
)

// TestCassandraDriversDirect runs the compatibility script of all three
// drivers straight against the real clusters (no proxy): Origin on protocol
// v4 and v5, Target with authentication. This proves the scripts and the
// clusters before the proxy is put between them.
func TestCassandraDriversDirect(t *testing.T) {
	c := sharedClusters(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	origin, target := c.Endpoint(testcluster.Origin), c.Endpoint(testcluster.Target)
	ou, op := origin.Credentials()
	tu, tp := target.Credentials()
	var runs []driverRun
	for _, d := range []string{"gocql", "python", "java"} {
		for _, proto := range []int{4, 5} {
			runs = append(runs, driverRun{Driver: d, Contact: origin.Addr(), User: ou, Pass: op,
				Proto: proto, Keyspace: fmt.Sprintf("e2e_direct_%s_v%d", d, proto)})
		}
		// Target (authenticated) once per driver; alternate the protocol.
		proto := map[string]int{"gocql": 5, "python": 4, "java": 5}[d]
		runs = append(runs, driverRun{Driver: d, Contact: target.Addr(), User: tu, Pass: tp,
			Proto: proto, Keyspace: fmt.Sprintf("e2e_direct_%s_auth", d)})
	}
	for _, r := range runs {
		t.Run(strings.ReplaceAll(r.String(), "/", "_"), func(t *testing.T) {
			out := runDriverMatrix(t, ctx, c.RepoRoot(), r)
			want := origin
			if r.Contact == target.Addr() {
				want = target
			}
			info := matrixInfo(out)
			if !strings.Contains(info["local"], "cluster="+want.ClusterName) {
				t.Errorf("system.local says %q, want cluster %s", info["local"], want.ClusterName)
			}
			if !strings.Contains(info["driver-hosts"], want.Addr()) {
				t.Errorf("driver sees hosts %s, want %s among them", info["driver-hosts"], want.Addr())
			}
		})
	}
	t.Run("target refuses no credentials", func(t *testing.T) {
		cl := gocql.NewCluster(target.Addr())
		cl.ProtoVersion = 4
		cl.ConnectTimeout = 5 * time.Second
		s, err := cl.CreateSession()
		if err == nil {
			s.Close()
			t.Fatal("Target accepted a session without credentials")
		}
	})
}

// TestCassandraTargetStopStart stops the Target node, checks it is really
// unreachable, starts it again and checks the data written before survived.
func TestCassandraTargetStopStart(t *testing.T) {
	c := sharedClusters(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	target := c.Endpoint(testcluster.Target)
	session := func() (*gocql.Session, error) {
		cl := gocql.NewCluster(target.Addr())
		cl.ProtoVersion = 4
		cl.Timeout = 10 * time.Second
		cl.ConnectTimeout = 5 * time.Second
		u, p := target.Credentials()
		cl.Authenticator = gocql.PasswordAuthenticator{Username: u, Password: p}
		return cl.CreateSession()
	}
	s, err := session()
	if err != nil {
		t.Fatalf("connect to Target: %v", err)
	}
	for _, st := range []string{
		"DROP KEYSPACE IF EXISTS e2e_restart",
		"CREATE KEYSPACE e2e_restart WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE e2e_restart.t (id int PRIMARY KEY, v text)",
		"INSERT INTO e2e_restart.t (id, v) VALUES (1, 'before-stop')",
	} {
		if err := s.Query(st).WithContext(ctx).Exec(); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}

	if err := c.Stop(ctx, testcluster.Target); err != nil {
		t.Fatalf("stop Target: %v", err)
	}
	// Whatever happens next, leave Target running for the other tests.
	defer func() {
		if up, _ := c.Running(context.Background(), testcluster.Target); !up {
			_ = c.Start(context.Background(), testcluster.Target)
		}
	}()
	if up, err := c.Running(ctx, testcluster.Target); err != nil || up {
		t.Fatalf("Target running after stop: up=%v err=%v", up, err)
	}
	if err := s.Query("SELECT v FROM e2e_restart.t WHERE id = 1").WithContext(ctx).Exec(); err == nil {
		t.Fatal("query on the stopped Target succeeded")
	}
	s.Close()
	if s2, err := session(); err == nil {
		s2.Close()
		t.Fatal("new session to the stopped Target succeeded")
	}

	if err := c.Start(ctx, testcluster.Target); err != nil {
		t.Fatalf("start Target again: %v", err)
	}
	s, err = session()
	if err != nil {
		t.Fatalf("connect to restarted Target: %v", err)
	}
	defer s.Close()
	var v string
	err = s.Query("SELECT v FROM e2e_restart.t WHERE id = 1").WithContext(ctx).Scan(&v)
	if errors.Is(err, gocql.ErrNotFound) {
		t.Fatal("row written before the stop is gone")
	}
	if err != nil || v != "before-stop" {
		t.Fatalf("read after restart: v=%q err=%v", v, err)
	}
}

// TestCassandraOriginAuth recreates Origin with PasswordAuthenticator
// (ORIGIN_AUTH=1), checks that it now demands credentials and serves a driver
// that has them, then recreates it without authentication for the others.
func TestCassandraOriginAuth(t *testing.T) {
	c := sharedClusters(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	if err := c.Recreate(ctx, testcluster.Origin, "ORIGIN_AUTH=1"); err != nil {
		t.Fatalf("recreate Origin with auth: %v", err)
	}
	defer func() {
		if err := c.Recreate(context.Background(), testcluster.Origin, "ORIGIN_AUTH=0"); err != nil {
			t.Errorf("recreate Origin without auth: %v", err)
		}
	}()
	origin := c.Endpoint(testcluster.Origin)
	if !origin.Auth {
		t.Fatal("Origin reports no auth after ORIGIN_AUTH=1")
	}
	cl := gocql.NewCluster(origin.Addr())
	cl.ProtoVersion = 4
	cl.ConnectTimeout = 5 * time.Second
	if s, err := cl.CreateSession(); err == nil {
		s.Close()
		t.Fatal("Origin with ORIGIN_AUTH=1 accepted a session without credentials")
	}
	u, p := origin.Credentials()
	runDriverMatrix(t, ctx, c.RepoRoot(), driverRun{Driver: "gocql", Contact: origin.Addr(),
		User: u, Pass: p, Proto: 5, Keyspace: "e2e_origin_auth"})
}
