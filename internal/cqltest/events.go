package cqltest

import (
	"bytes"

	cqlframe "github.com/datastax/go-cassandra-native-protocol/frame"
	"github.com/datastax/go-cassandra-native-protocol/message"
	"github.com/datastax/go-cassandra-native-protocol/primitive"
)

// PushSchemaEvent sends a SCHEMA_CHANGE event (keyspace created) to every
// connection that sent REGISTER; it returns how many got it.
func (c *Cluster) PushSchemaEvent(keyspace string) int {
	return c.push(&message.SchemaChangeEvent{ChangeType: primitive.SchemaChangeTypeCreated, Target: primitive.SchemaChangeTargetKeyspace, Keyspace: keyspace})
}

// PushTopologyEvent sends a TOPOLOGY_CHANGE (new node) event to registered
// connections.
func (c *Cluster) PushTopologyEvent() int {
	return c.push(&message.TopologyChangeEvent{ChangeType: primitive.TopologyChangeTypeNewNode, Address: &primitive.Inet{Addr: []byte{127, 0, 0, 9}, Port: 9042}})
}

func (c *Cluster) push(m message.Message) int {
	c.server.mu.Lock()
	conns := make([]*Conn, 0, len(c.server.conns))
	for conn := range c.server.conns {
		conns = append(conns, conn)
	}
	c.server.mu.Unlock()
	n := 0
	for _, conn := range conns {
		v, ok := conn.get(registeredKey).(primitive.ProtocolVersion)
		if !ok {
			continue
		}
		var buf bytes.Buffer
		if err := cqlframe.NewCodec().EncodeFrame(cqlframe.NewFrame(v, -1, m), &buf); err != nil {
			continue
		}
		_ = conn.w.EnqueueFunc(func(dst []byte) []byte { return append(dst, buf.Bytes()...) })
		if conn.w.Flush() == nil {
			n++
		}
	}
	return n
}
