package proxy_test

import (
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

func TestSchemaEventsFromOriginOnly(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := dialRaw(t, e.addr)
	c.startup()
	body := frame.AppendStringList(nil, []string{"SCHEMA_CHANGE", "TOPOLOGY_CHANGE", "STATUS_CHANGE"})
	c.write(frame.New(4, 0, 3, frame.OpRegister, body))
	if f := c.read(); f.Opcode() != frame.OpReady || f.Stream() != 3 {
		t.Fatalf("REGISTER answered with %s", frame.OpcodeName(f.Opcode()))
	}
	waitFor(t, "origin registration", func() bool { return e.origin.PushTopologyEvent() == 1 })
	if e.target.PushSchemaEvent("from_target") != 0 {
		t.Fatal("the proxy registered on target")
	}
	if e.origin.PushSchemaEvent("from_origin") != 1 {
		t.Fatal("schema event not sent")
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	f := c.read()
	if f.Opcode() != frame.OpEvent || f.Stream() != -1 {
		t.Fatalf("got %s stream %d, want EVENT on stream -1", frame.OpcodeName(f.Opcode()), f.Stream())
	}
	cur := frame.Cursor{B: f.Body()}
	if typ := cur.Str(); typ != "SCHEMA_CHANGE" {
		t.Fatalf("first event forwarded is %s, want the schema change (topology must be dropped)", typ)
	}
	cur.Str()
	cur.Str()
	if ks := cur.Str(); ks != "from_origin" {
		t.Fatalf("event keyspace %q", ks)
	}
}
