package proxy_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/apache/cassandra-gocql-driver/v2/lz4"
	"github.com/apache/cassandra-gocql-driver/v2/snappy"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy/frame"
)

func register(c *rawConn, types ...string) {
	c.t.Helper()
	c.write(frame.New(4, 0, 3, frame.OpRegister, frame.AppendStringList(nil, types)))
	if f := c.read(); f.Opcode() != frame.OpReady || f.Stream() != 3 {
		c.t.Fatalf("REGISTER answered with %s", frame.OpcodeName(f.Opcode()))
	}
}

func shutdownAsync(e *env) chan error {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- e.srv.Shutdown(ctx)
	}()
	return done
}

func TestShutdownSendsStatusDownToRegisteredClients(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{
		"ZDM_PROXY_TOPOLOGY_ADDRESSES=10.1.2.3,10.1.2.4", "ZDM_PROXY_TOPOLOGY_INDEX=1",
	}})
	c := dialRaw(t, e.addr)
	c.startup()
	register(c, "STATUS_CHANGE")
	done := shutdownAsync(e)

	f := c.read()
	if f.Opcode() != frame.OpEvent || f.Stream() != -1 || !f.IsResponse() || f.Version() != 4 {
		t.Fatalf("got %s stream %d version %d, want a v4 EVENT on stream -1", frame.OpcodeName(f.Opcode()), f.Stream(), f.Version())
	}
	cur := frame.Cursor{B: f.Body()}
	typ, change := cur.Str(), cur.Str()
	n := int(cur.Byte())
	if cur.Err != nil || len(cur.B) != n+4 {
		t.Fatalf("malformed event body %x", f.Body())
	}
	ip := net.IP(cur.B[:n])
	cur.Skip(n)
	port := int(cur.Int())
	if cur.Err != nil {
		t.Fatalf("malformed event body: %v", cur.Err)
	}
	_, wantPort, _ := net.SplitHostPort(e.addr)
	if typ != "STATUS_CHANGE" || change != "DOWN" || !ip.Equal(net.ParseIP("10.1.2.4")) || strconv.Itoa(port) != wantPort {
		t.Fatalf("event %s %s %s:%d, want STATUS_CHANGE DOWN 10.1.2.4:%s", typ, change, ip, port, wantPort)
	}

	// During the grace period the connection stays open and requests are
	// served as usual: a driver sends until it acts on the event, and an
	// error answer would be lost for a statement it may not retry.
	c.write(frame.New(4, 0, 7, frame.OpQuery, queryBody("SELECT * FROM ks.t")))
	if r := c.read(); r.Opcode() != frame.OpResult || r.Stream() != 7 {
		t.Fatalf("request after DOWN answered with %s on stream %d, want RESULT", frame.OpcodeName(r.Opcode()), r.Stream())
	}
	c.write(frame.New(4, 0, 8, frame.OpOptions, nil))
	if r := c.read(); r.Opcode() != frame.OpSupported || r.Stream() != 8 {
		t.Fatalf("heartbeat after DOWN answered with %s on stream %d", frame.OpcodeName(r.Opcode()), r.Stream())
	}
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	c.expectClosed()
}

func TestShutdownSendsNoEventToUnregisteredClients(t *testing.T) {
	e := newEnv(t, envOpts{})
	plain := dialRaw(t, e.addr)
	plain.startup()
	schema := dialRaw(t, e.addr)
	schema.startup()
	register(schema, "SCHEMA_CHANGE")
	if err := <-shutdownAsync(e); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	for name, c := range map[string]*rawConn{"unregistered": plain, "schema-only": schema} {
		if f, err := c.r.ReadFrame(); err == nil {
			t.Fatalf("%s client got %s on stream %d, want the connection closed without an event", name, frame.OpcodeName(f.Opcode()), f.Stream())
		}
	}
}

type downListener chan string

func (l downListener) OnHostUp(gocql.HostUpEvent) {}
func (l downListener) OnHostDown(ev gocql.HostDownEvent) {
	select {
	case l <- net.JoinHostPort(ev.Host.ConnectAddress().String(), strconv.Itoa(ev.Host.Port())):
	default:
	}
}

// A real driver, over each framing (v5 segments, legacy compression), marks
// the proxy down from its event while the connections are still open: a
// request held in flight keeps Shutdown from closing them.
func TestShutdownDownEventReachesGocql(t *testing.T) {
	cases := []struct {
		name string
		v    int
		comp gocql.Compressor
	}{
		{"v4 snappy", 4, snappy.SnappyCompressor{}},
		{"v4 uncompressed", 4, nil},
		{"v5 lz4", 5, lz4.LZ4Compressor{}},
		{"v5 uncompressed", 5, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Neither the proxy nor the driver gives up on the held
			// request before the test does.
			e := newEnv(t, envOpts{extraEnv: []string{"ZDM_PROXY_REQUEST_TIMEOUT_MS=120000"}})
			release := make(chan struct{})
			arrived := make(chan struct{}, 1)
			e.origin.SetHook(func(r cqltest.Received) cqltest.Action {
				if strings.HasPrefix(r.Query, "INSERT INTO ks.slow") && r.Opcode != 0x09 {
					select {
					case arrived <- struct{}{}:
					default:
					}
					<-release
				}
				return cqltest.Action{}
			})
			down := make(downListener, 1)
			cl := e.clusterConfig()
			cl.ProtoVersion = c.v
			cl.Compressor = c.comp
			cl.RetryPolicy = nil
			cl.Timeout = 60 * time.Second
			cl.Metadata.HostListener.HostStateChangeListener = down
			s, err := cl.CreateSession()
			if err != nil {
				close(release)
				t.Fatal(err)
			}
			defer s.Close()
			go func() { _ = s.Query("INSERT INTO ks.slow (k) VALUES ('a')").Exec() }()
			select {
			case <-arrived:
			case <-time.After(20 * time.Second):
				close(release)
				t.Fatal("the slow write never reached Origin")
			}
			done := shutdownAsync(e)
			select {
			case addr := <-down:
				if addr != e.addr {
					close(release)
					t.Fatalf("driver marked %s down, want the proxy %s", addr, e.addr)
				}
			case <-time.After(20 * time.Second):
				close(release)
				t.Fatal("the driver never heard the proxy go down while its connections were open")
			}
			close(release)
			if err := <-done; err != nil {
				t.Fatalf("shutdown: %v", err)
			}
		})
	}
}

// A shutdown whose grace period would outlast the test ends as soon as no
// client connection is left (the clients it told have moved away), so a
// restart waits no longer than they need.
func TestShutdownEndsWhenToldClientsLeave(t *testing.T) {
	e := newEnv(t, envOpts{extraEnv: []string{"ZDM_PROXY_SHUTDOWN_GRACE_MS=600000"}})
	c := dialRaw(t, e.addr)
	c.startup()
	register(c, "STATUS_CHANGE")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.srv.Shutdown(ctx) }()
	if f := c.read(); f.Opcode() != frame.OpEvent {
		t.Fatalf("got %s, want the DOWN event", frame.OpcodeName(f.Opcode()))
	}
	select {
	case err := <-done:
		t.Fatalf("shutdown returned (%v) while the told client was still connected", err)
	default:
	}
	c.nc.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
		if ctx.Err() != nil {
			t.Fatal("shutdown waited for its deadline, not for the client to leave")
		}
	case <-ctx.Done():
		t.Fatal("shutdown still waiting for its grace period after the told client left")
	}
}
