package proxy_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/frame"
)

// commonPort finds a TCP port free on every address.
func commonPort(t *testing.T, ips []string) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		ln, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		lns := []net.Listener{ln}
		ok := true
		for _, ip := range ips[1:] {
			l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
			if err != nil {
				ok = false
				break
			}
			lns = append(lns, l)
		}
		for _, l := range lns {
			l.Close()
		}
		if ok {
			return port
		}
	}
	t.Fatal("no port free on every proxy address")
	return 0
}

// fleet is proxies on distinct loopback addresses, one port, each knowing
// the others through proxy_topology_addresses.
type fleet struct {
	t              *testing.T
	origin, target *cqltest.Cluster
	ips            []string
	port           int
	logs           map[int]io.Writer // proxy i's log (default: discarded)
}

func newFleet(t *testing.T, ips ...string) *fleet {
	return &fleet{t: t, ips: ips, port: commonPort(t, ips),
		origin: cqltest.Start(t, cqltest.Options{Name: "origin", IDSalt: "o"}),
		target: cqltest.Start(t, cqltest.Options{Name: "target", IDSalt: "t"})}
}

func (f *fleet) addr(i int) string { return net.JoinHostPort(f.ips[i], strconv.Itoa(f.port)) }

// start runs proxy i until the test ends (or until stopped).
func (f *fleet) start(i int, extraEnv ...string) *proxy.Server {
	f.t.Helper()
	envs := append([]string{
		"ZDM_ORIGIN_CONTACT_POINTS=" + f.origin.Host(), "ZDM_ORIGIN_PORT=" + strconv.Itoa(f.origin.Port()),
		"ZDM_TARGET_CONTACT_POINTS=" + f.target.Host(), "ZDM_TARGET_PORT=" + strconv.Itoa(f.target.Port()),
		"ZDM_PROXY_LISTEN_ADDRESS=" + f.ips[i], "ZDM_PROXY_LISTEN_PORT=" + strconv.Itoa(f.port),
		"ZDM_PROXY_TOPOLOGY_ADDRESSES=" + strings.Join(f.ips, ","), "ZDM_PROXY_TOPOLOGY_INDEX=" + strconv.Itoa(i),
	}, extraEnv...)
	cfg, _, err := config.Load("", envs)
	if err != nil {
		f.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", f.addr(i))
	if err != nil {
		f.t.Fatal(err)
	}
	var logw io.Writer = io.Discard
	if w := f.logs[i]; w != nil {
		logw = w
	}
	srv := proxy.New(cfg, proxy.Options{Logger: slog.New(slog.NewTextHandler(logw, nil))})
	go srv.Serve(ln)
	f.t.Cleanup(srv.Close)
	return srv
}

// readEvent reads frames until a STATUS_CHANGE event and returns its
// change and node address.
func readStatusEvent(c *rawConn) (string, string) {
	c.t.Helper()
	_ = c.nc.SetDeadline(time.Now().Add(20 * time.Second))
	for {
		f := c.read()
		if f.Opcode() != frame.OpEvent || f.Stream() != -1 {
			continue
		}
		cur := frame.Cursor{B: f.Body()}
		typ, change := cur.Str(), cur.Str()
		n := int(cur.Byte())
		if cur.Err != nil || typ != "STATUS_CHANGE" || len(cur.B) != n+4 {
			c.t.Fatalf("malformed status event body %x", f.Body())
		}
		ip := net.IP(cur.B[:n])
		cur.Skip(n)
		port := int(cur.Int())
		return change, net.JoinHostPort(ip.String(), strconv.Itoa(port))
	}
}

// A peer restarted faster than the probe interval (no client to drain, so
// its Shutdown has nothing to wait for) is still seen going away, and the
// proxy tells its clients registered for STATUS_CHANGE, and only them, that
// it is UP once it accepts again: drivers reconnect at once instead of at
// their reconnection interval.
func TestPeerRestartAnnouncedUp(t *testing.T) {
	f := newFleet(t, "127.0.0.21", "127.0.0.22")
	f.start(0)
	b := f.start(1)
	plain := dialRaw(t, f.addr(0))
	plain.startup()
	reg := dialRaw(t, f.addr(0))
	reg.startup()
	register(reg, "STATUS_CHANGE")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	f.start(1)
	change, addr := readStatusEvent(reg)
	if change != "UP" || addr != f.addr(1) {
		t.Fatalf("got STATUS_CHANGE %s %s, want UP %s", change, addr, f.addr(1))
	}
	// The registered client has its event: the unregistered one, asked
	// now, answers its own request first (nothing was queued before it).
	plain.write(frame.New(4, 0, 9, frame.OpOptions, nil))
	if r := plain.read(); r.Opcode() != frame.OpSupported || r.Stream() != 9 {
		t.Fatalf("unregistered client got %s on stream %d first, want SUPPORTED on 9", frame.OpcodeName(r.Opcode()), r.Stream())
	}
}
