package proxy

import (
	"github.com/zdmctl/zdmctl/proxy/frame"
	"github.com/zdmctl/zdmctl/proxy/mutation"
)

// writeClock timestamps the writes whose driver set no client timestamp.
var writeClock mutation.Clock

// ensureTimestamp returns write request f (message msg at msgOff in its body)
// carrying a client timestamp: unchanged when the driver set one, else with
// the protocol's default-timestamp flag and a value from writeClock. Origin
// and Target then store the same writetime, and a journal replay of the
// write is idempotent under last-write-wins.
func (cc *clientConn) ensureTimestamp(f frame.Frame, msg []byte, msgOff int) (frame.Frame, []byte) {
	if cc.version < 3 {
		return f, msg
	}
	l, err := mutation.Locate(f.Opcode(), cc.version, msg)
	if err != nil || l.HasTimestamp() {
		return f, msg // a malformed body goes through for the cluster to refuse
	}
	nf := make([]byte, 0, len(f)+8)
	nf = frame.AppendHeader(nf, f.Version(), f.Flags(), f.Stream(), f.Opcode(), len(f.Body())+8)
	nf = append(nf, f.Body()[:msgOff]...)
	nf = mutation.WithTimestamp(nf, msg, l, writeClock.Next())
	return nf, frame.Frame(nf).Body()[msgOff:]
}
