package proxy_test

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// rawConn speaks the protocol by hand, to send what drivers never would.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	r  *frame.Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{t: t, nc: nc, r: frame.NewReader(nc, 4096)}
}

func (c *rawConn) write(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawConn) read() frame.Frame {
	c.t.Helper()
	f, err := c.r.ReadFrame()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return f
}

// startup performs a v4 handshake without auth.
func (c *rawConn) startup() {
	c.t.Helper()
	body := frame.AppendStringMap(nil, []string{"CQL_VERSION"}, map[string]string{"CQL_VERSION": "3.0.0"})
	c.write(frame.New(4, 0, 1, frame.OpStartup, body))
	if f := c.read(); f.Opcode() != frame.OpReady {
		c.t.Fatalf("STARTUP answered with %s", frame.OpcodeName(f.Opcode()))
	}
}

func (c *rawConn) expectClosed() {
	c.t.Helper()
	buf := make([]byte, 1)
	for {
		_, err := c.nc.Read(buf)
		if err == io.EOF || err != nil {
			return
		}
	}
}

func queryBody(q string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(q)))
	b = append(b, q...)
	return append(b, 0, 1, 0) // consistency ONE, no flags
}
