package proxy_test

import (
	"context"
	"encoding/binary"
	"net"
	"strconv"
	"testing"
	"time"

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

	// During the grace period the connection stays open and new requests
	// are refused with OVERLOADED so the driver retries elsewhere.
	c.write(frame.New(4, 0, 7, frame.OpQuery, queryBody("SELECT * FROM ks.t")))
	r := c.read()
	if r.Opcode() != frame.OpError || r.Stream() != 7 {
		t.Fatalf("request after DOWN answered with %s", frame.OpcodeName(r.Opcode()))
	}
	if code := binary.BigEndian.Uint32(r.Body()); code != 0x1001 {
		t.Fatalf("request after DOWN: error code %#x, want OVERLOADED", code)
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
