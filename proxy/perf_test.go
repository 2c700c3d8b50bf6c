//go:build perf

// TestPerf is a developer tool (go test -tags perf -run TestPerf -v ./proxy/):
// it runs the zdm-proxy binary between gocql and two FastClusters and prints
// throughput, latency and the proxy process CPU per operation.

package proxy_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/internal/cqltest"
)

func procCPU(pid int) time.Duration {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	f := strings.Fields(string(b)[strings.LastIndex(string(b), ")")+2:])
	u, _ := strconv.Atoi(f[11])
	s, _ := strconv.Atoi(f[12])
	return time.Duration(u+s) * 10 * time.Millisecond
}

func load(t *testing.T, addr string, port int, q string, conc int, dur time.Duration, rate int) (int64, time.Duration) {
	cl := gocql.NewCluster(addr)
	cl.Port = port
	cl.NumConns = 1
	cl.Timeout = 5 * time.Second
	cl.PoolConfig.HostSelectionPolicy = gocql.RoundRobinHostPolicy()
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n atomic.Int64
	var lat atomic.Int64
	stop := time.Now().Add(dur)
	var wg sync.WaitGroup
	var tick chan struct{}
	if rate > 0 {
		tick = make(chan struct{}, 1024)
		conc = 64
		go func() {
			start := time.Now()
			for i := 0; time.Now().Before(stop); i++ {
				due := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				}
				select {
				case tick <- struct{}{}:
				default:
				}
			}
			close(tick)
		}()
	}
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if tick != nil {
					if _, ok := <-tick; !ok {
						return
					}
				}
				st := time.Now()
				if err := s.Query(q, "k", "v").Exec(); err != nil {
					t.Error(err)
					return
				}
				lat.Add(int64(time.Since(st)))
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return n.Load(), time.Duration(lat.Load() / max(n.Load(), 1))
}

func TestPerf(t *testing.T) {
	o, tg := cqltest.StartFast(t), cqltest.StartFast(t)
	_, op, _ := net.SplitHostPort(o.Addr)
	_, tp, _ := net.SplitHostPort(tg.Addr)
	bin := t.TempDir() + "/zdm-proxy"
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/zdm-proxy").CombinedOutput(); err != nil {
		t.Fatal(string(out))
	}
	port := 19042
	cmd := exec.Command(bin)
	cmd.Env = []string{"ZDM_ORIGIN_CONTACT_POINTS=127.0.0.1", "ZDM_ORIGIN_PORT=" + op, "ZDM_TARGET_CONTACT_POINTS=127.0.0.1", "ZDM_TARGET_PORT=" + tp,
		"ZDM_PROXY_LISTEN_ADDRESS=127.0.0.1", "ZDM_PROXY_LISTEN_PORT=" + strconv.Itoa(port), "ZDM_LOG_LEVEL=WARN"}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	time.Sleep(300 * time.Millisecond)
	oport, _ := strconv.Atoi(op)
	for _, q := range []string{"INSERT INTO ks.t (k, v) VALUES (?, ?)", "SELECT v FROM ks.t WHERE k = ? AND v = ?"} {
		dn, dlat := load(t, "127.0.0.1", oport, q, 64, 3*time.Second, 0)
		c0 := procCPU(cmd.Process.Pid)
		pn, plat := load(t, "127.0.0.1", port, q, 64, 3*time.Second, 0)
		c1 := procCPU(cmd.Process.Pid)
		t.Logf("%.6s closed-loop 64: direct %d ops (%v), proxy %d ops (%v) ratio %.2f, proxy CPU/op %v", q, dn, dlat, pn, plat, float64(pn)/float64(dn), (c1-c0)/time.Duration(pn))
		_, dl := load(t, "127.0.0.1", oport, q, 0, 3*time.Second, 5000)
		c0 = procCPU(cmd.Process.Pid)
		rn, rl := load(t, "127.0.0.1", port, q, 0, 3*time.Second, 5000)
		c1 = procCPU(cmd.Process.Pid)
		t.Logf("%.6s at 5000/s: %d ops, proxy CPU/op %v, mean latency direct %v proxy %v", q, rn, (c1-c0)/time.Duration(rn), dl, rl)
	}
}
