package proxy_test

import (
	"strings"
	"sync"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/internal/cqltest"
)

var inflightGauges = []string{"reads_origin", "reads_target", "writes"}

func inflightKey(typ string) string {
	return `zdm_proxy_inflight_requests_total{type="` + typ + `"}`
}

// waitInflight waits until the in-flight gauges read want (missing: 0).
func (o *observed) waitInflight(t *testing.T, what string, want map[string]float64) {
	t.Helper()
	var got map[string]float64
	waitFor(t, what, func() bool {
		got = o.scrape(t)
		for _, typ := range inflightGauges {
			if got[inflightKey(typ)] != want[typ] {
				return false
			}
		}
		return true
	})
}

// holdOn makes c hold the first request whose query contains marker until
// the returned release is called; arrived is closed once it is held.
func holdOn(c *cqltest.Cluster, marker string) (arrived chan struct{}, release func()) {
	arrived = make(chan struct{})
	ch := make(chan struct{})
	var once, held sync.Once
	c.SetHook(func(r cqltest.Received) cqltest.Action {
		if strings.Contains(r.Query, marker) && r.Opcode != 0x09 {
			held.Do(func() {
				close(arrived)
				<-ch
			})
		}
		return cqltest.Action{}
	})
	return arrived, func() { once.Do(func() { close(ch) }) }
}

func TestInflightGaugesFollowRequests(t *testing.T) {
	for _, primary := range []string{"ORIGIN", "TARGET"} {
		t.Run(primary, func(t *testing.T) {
			o := newObserved(t, envOpts{extraEnv: []string{
				"ZDM_PRIMARY_CLUSTER=" + primary, "ZDM_PROXY_REQUEST_TIMEOUT_MS=300"}})
			s := o.session(t, func(c *gocql.ClusterConfig) { c.RetryPolicy = nil })
			readType, readCluster := "reads_origin", o.origin
			if primary == "TARGET" {
				readType, readCluster = "reads_target", o.target
			}

			// Plain traffic leaves nothing in flight.
			for i := 0; i < 3; i++ {
				if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", "k", "v").Exec(); err != nil {
					t.Fatal(err)
				}
				if err := s.Query("SELECT * FROM ks.t").Exec(); err != nil {
					t.Fatal(err)
				}
			}
			o.waitInflight(t, "gauges at 0 after plain traffic", nil)

			// A write held by target counts as one write in flight.
			arrived, release := holdOn(o.target, "held_write")
			defer release()
			done := make(chan error, 1)
			go func() { done <- s.Query("INSERT INTO ks.t (k) VALUES ('held_write')").Exec() }()
			<-arrived
			o.waitInflight(t, "one write in flight", map[string]float64{"writes": 1})
			release()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			o.waitInflight(t, "gauges at 0 after the held write", nil)

			// A read held by the primary counts as one read of that cluster.
			arrived, release = holdOn(readCluster, "held_read")
			defer release()
			go func() { done <- s.Query("SELECT * FROM ks.t WHERE k = 'held_read'").Exec() }()
			<-arrived
			o.waitInflight(t, "one read in flight", map[string]float64{readType: 1})
			release()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			o.waitInflight(t, "gauges at 0 after the held read", nil)

			// A timeout and a dropped cluster connection end the request too.
			o.target.SetHook(func(r cqltest.Received) cqltest.Action {
				switch {
				case r.Opcode == 0x09:
				case strings.Contains(r.Query, "'timeout'"):
					return cqltest.Action{NoAnswer: true}
				case strings.Contains(r.Query, "'drop'"):
					return cqltest.Action{Drop: true}
				}
				return cqltest.Action{}
			})
			if err := s.Query("INSERT INTO ks.t (k) VALUES ('timeout')").Exec(); err == nil {
				t.Fatal("write succeeded although target never answered")
			}
			o.waitInflight(t, "gauges at 0 after a timeout", nil)
			if err := s.Query("INSERT INTO ks.t (k) VALUES ('drop')").Exec(); err == nil {
				t.Fatal("write succeeded although target dropped the connection")
			}
			o.waitInflight(t, "gauges at 0 after a dropped connection", nil)

			// A client that goes away with a request in flight leaks nothing.
			o.target.SetHook(nil)
			s2 := o.session(t, func(c *gocql.ClusterConfig) { c.RetryPolicy = nil })
			arrived, release = holdOn(o.target, "closing")
			defer release()
			go func() { done <- s2.Query("INSERT INTO ks.t (k) VALUES ('closing')").Exec() }()
			<-arrived
			o.waitInflight(t, "write in flight before the client leaves", map[string]float64{"writes": 1})
			s2.Close()
			<-done
			release()
			o.waitInflight(t, "gauges at 0 after the client left", nil)
		})
	}
}
