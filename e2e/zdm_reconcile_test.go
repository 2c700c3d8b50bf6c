//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/internal/cqltest"
)

// TestZDMReconcile: a fleet deployed with write_mode
// DUAL_ASYNC_ON_SECONDARY whose Target (in-memory) stops answering writes:
// clients see no error, zdmctl reconcile shows the missed writes per host
// and table, rolling-update --primary-cluster TARGET is refused, and once
// Target answers again zdmctl reconcile --apply puts every write on it with
// the timestamp Origin got.
func TestZDMReconcile(t *testing.T) {
	var target, origin *cqltest.Cluster
	prev := zdmClusters
	zdmClusters = func(t testing.TB, bridge string) (int, int) {
		listen := net.JoinHostPort(bridge, "0")
		origin = cqltest.Start(t, cqltest.Options{Name: "origin", Username: "cassandra", Password: "origin-s3cret", Listen: listen})
		target = cqltest.Start(t, cqltest.Options{Name: "target", Listen: listen})
		return origin.Port(), target.Port()
	}
	f := SharedFleet(t)
	e := newZDMEnv(t, f)
	zdmClusters = prev
	if !zdmRealProxy {
		t.Skip("needs the real zdm-proxy")
	}
	gate := []string{"--healthy-for", "1s", "--pause", "0s", "--ready-timeout", "60s"}
	t.Cleanup(func() { e.cleanupRun("teardown", "--yes", "--force", "--reason", "e2e cleanup") })
	e.vars["write_mode"] = "DUAL_ASYNC_ON_SECONDARY"
	e.vars["proxy_request_timeout_ms"] = "1000"
	e.writeInventory()
	if r := e.run(append([]string{"deploy"}, gate...)...); r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s", r.code, r.err)
	}
	if out := e.exec(e.hosts[0].Name, "stat -c '%U %a' /var/lib/zdm-proxy/journal"); strings.TrimSpace(out) != "zdm 750" {
		t.Fatalf("journal dir: %q, want owner zdm, mode 750", out)
	}

	isInsert := func(r cqltest.Received) bool {
		return r.Opcode == primitive.OpCodeExecute && strings.Contains(r.Query, "ks.rec")
	}
	target.SetHook(func(r cqltest.Received) cqltest.Action { return cqltest.Action{NoAnswer: isInsert(r)} })
	cl := gocql.NewCluster(e.hosts[0].Address)
	cl.Port = 9042
	cl.Timeout = 5 * time.Second
	cl.DisableInitialHostLookup = true
	cl.Authenticator = gocql.PasswordAuthenticator{Username: "cassandra", Password: "origin-s3cret"}
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 30
	for i := 0; i < n; i++ {
		if err := s.Query("INSERT INTO ks.rec (k, v) VALUES (?, ?)", fmt.Sprint(i), "v").Exec(); err != nil {
			t.Fatalf("write %d with Target not answering: %v", i, err)
		}
	}
	// reconcileDoc is the data of `reconcile -o json` (under "data").
	type reconcileDoc struct {
		Hosts []struct {
			Host   string         `json:"host"`
			Error  string         `json:"error"`
			Status map[string]any `json:"status"`
		} `json:"hosts"`
		Pending     int64 `json:"pending"`
		NeedsRepair int64 `json:"needs_repair"`
		Replayed    int64 `json:"replayed"`
	}
	read := func(args ...string) (reconcileDoc, cmdResult) {
		r := e.run(append([]string{"reconcile", "-o", "json"}, args...)...)
		var doc struct {
			OK       bool         `json:"ok"`
			ExitCode int          `json:"exit_code"`
			Data     reconcileDoc `json:"data"`
		}
		if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
			t.Fatalf("reconcile %v: not JSON: %v\n%s\n%s", args, err, r.out, r.err)
		}
		if doc.OK != (r.code == 0) || doc.ExitCode != r.code {
			t.Fatalf("reconcile %v: exit %d but the document says ok %v exit_code %d\n%s", args, r.code, doc.OK, doc.ExitCode, r.out)
		}
		return doc.Data, r
	}
	deadline := time.Now().Add(30 * time.Second)
	var d reconcileDoc
	var r cmdResult
	for {
		d, r = read()
		if d.Pending == n || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if r.code != 0 || d.Pending != n || len(d.Hosts) != len(e.hosts) || !strings.Contains(r.out, `"table": "rec"`) {
		t.Fatalf("reconcile: exit %d, %d pending (want %d)\n%s\n%s", r.code, d.Pending, n, r.out, r.err)
	}
	r = e.run(append([]string{"rolling-update", "--primary-cluster", "TARGET"}, gate...)...)
	if r.code != 1 || !strings.Contains(r.err, "cannot make TARGET the primary: it missed 30 writes") || !strings.Contains(r.err, "zdmctl reconcile --apply") {
		t.Fatalf("primary switch with a non-empty journal: exit %d\n%s", r.code, r.err)
	}
	target.SetHook(nil)
	d, r = read("--apply")
	if r.code != 0 || d.Replayed != n || d.Pending != 0 {
		t.Fatalf("reconcile --apply: exit %d, replayed %d, pending %d\n%s\n%s", r.code, d.Replayed, d.Pending, r.out, r.err)
	}
	ts := func(c *cqltest.Cluster) map[string][]int64 {
		out := map[string][]int64{}
		for _, rc := range c.Received() {
			if isInsert(rc) && rc.Timestamp != nil {
				out[string(rc.Values[0])] = append(out[string(rc.Values[0])], *rc.Timestamp)
			}
		}
		return out
	}
	o, tg := ts(origin), ts(target)
	for i := 0; i < n; i++ {
		k := fmt.Sprint(i)
		if len(o[k]) != 1 || len(tg[k]) != 2 || tg[k][1] != o[k][0] {
			t.Fatalf("key %s: Origin got timestamps %v, Target %v: want the missed write then its replay with Origin's timestamp", k, o[k], tg[k])
		}
	}
	if r := e.run(append([]string{"rolling-update", "--primary-cluster", "TARGET"}, gate...)...); r.code != 0 {
		t.Fatalf("primary switch after the replay: exit %d\n%s", r.code, r.err)
	}
}
