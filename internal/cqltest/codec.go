package cqltest

import (
	"bytes"
	"testing"

	"github.com/datastax/go-cassandra-native-protocol/message"
	"github.com/datastax/go-cassandra-native-protocol/primitive"
)

// BodyVersions are the protocol versions whose message bodies the proxy
// rewrites (v3 to v5); byte-surgery tests run each case on all of them.
var BodyVersions = []primitive.ProtocolVersion{primitive.ProtocolVersion3, primitive.ProtocolVersion4, primitive.ProtocolVersion5}

// codecFor is go-cassandra-native-protocol's codec of op: tests check the
// proxy's byte surgery against this independent codec.
func codecFor(t testing.TB, op primitive.OpCode) message.Codec {
	t.Helper()
	for _, c := range message.DefaultMessageCodecs {
		if c.GetOpCode() == op {
			return c
		}
	}
	t.Fatalf("no codec for opcode %v", op)
	return nil
}

// EncodeBody encodes message m's body in protocol version v.
func EncodeBody(t testing.TB, m message.Message, v primitive.ProtocolVersion) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := codecFor(t, m.GetOpCode()).Encode(m, &buf, v); err != nil {
		t.Fatalf("encode %T: %v", m, err)
	}
	return buf.Bytes()
}

// DecodeBody decodes body b of opcode op in version v and fails the test if
// any byte is left over.
func DecodeBody(t testing.TB, op primitive.OpCode, b []byte, v primitive.ProtocolVersion) message.Message {
	t.Helper()
	r := bytes.NewReader(b)
	m, err := codecFor(t, op).Decode(r, v)
	if err != nil {
		t.Fatalf("decode %v: %v", op, err)
	}
	if r.Len() != 0 {
		t.Fatalf("decode %v: %d bytes left", op, r.Len())
	}
	return m
}
