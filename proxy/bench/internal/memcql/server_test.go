package memcql

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/datastax/go-cassandra-native-protocol/frame"
	"github.com/datastax/go-cassandra-native-protocol/message"
	"github.com/datastax/go-cassandra-native-protocol/primitive"
)

// rawClient speaks frames to a server without a driver in between.
type rawClient struct {
	t     *testing.T
	c     net.Conn
	r     *bufio.Reader
	codec frame.Codec
}

func dial(t *testing.T, s *Server) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &rawClient{t: t, c: c, r: bufio.NewReader(c), codec: frame.NewCodec()}
}

func (rc *rawClient) roundTrip(v primitive.ProtocolVersion, stream int16, m message.Message) *frame.Frame {
	rc.t.Helper()
	var buf bytes.Buffer
	if err := rc.codec.EncodeFrame(frame.NewFrame(v, stream, m), &buf); err != nil {
		rc.t.Fatal(err)
	}
	if _, err := rc.c.Write(buf.Bytes()); err != nil {
		rc.t.Fatal(err)
	}
	f, err := rc.codec.DecodeFrame(rc.r)
	if err != nil {
		rc.t.Fatal(err)
	}
	if f.Header.StreamId != stream {
		rc.t.Fatalf("response on stream %d, want %d", f.Header.StreamId, stream)
	}
	return f
}

func listen(t *testing.T, ip, cluster string) *Server {
	t.Helper()
	s, err := Listen(ip+":0", cluster)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestHandshakeAndSystemTables(t *testing.T) {
	s := listen(t, "127.0.0.1", "origin")
	rc := dial(t, s)
	v4 := primitive.ProtocolVersion4
	if _, ok := rc.roundTrip(v4, 1, &message.Options{}).Body.Message.(*message.Supported); !ok {
		t.Fatal("OPTIONS did not get SUPPORTED")
	}
	if _, ok := rc.roundTrip(v4, 2, &message.Startup{Options: map[string]string{"CQL_VERSION": "3.0.0"}}).Body.Message.(*message.Ready); !ok {
		t.Fatal("STARTUP did not get READY")
	}
	local, ok := rc.roundTrip(v4, 3, &message.Query{Query: "SELECT * FROM system.local WHERE key='local'"}).Body.Message.(*message.RowsResult)
	if !ok || len(local.Data) != 1 {
		t.Fatalf("system.local: %#v", local)
	}
	for i, col := range local.Metadata.Columns {
		switch col.Name {
		case "cluster_name":
			if string(local.Data[0][i]) != "origin" {
				t.Errorf("cluster_name %q", local.Data[0][i])
			}
		case "rpc_address":
			if !net.IP(local.Data[0][i]).Equal(s.Addr().IP) {
				t.Errorf("rpc_address %v, want %v", net.IP(local.Data[0][i]), s.Addr().IP)
			}
		}
	}
	peers, ok := rc.roundTrip(v4, 4, &message.Query{Query: "select * from system.peers"}).Body.Message.(*message.RowsResult)
	if !ok || len(peers.Data) != 0 || len(peers.Metadata.Columns) == 0 {
		t.Fatalf("system.peers: %#v", peers)
	}
	if _, ok := rc.roundTrip(v4, 5, &message.Query{Query: "SELECT * FROM system.peers_v2"}).Body.Message.(*message.Invalid); !ok {
		t.Fatal("system.peers_v2 is not Invalid, so drivers would not fall back to system.peers")
	}
}

func TestRejectsProtocolV5ButKeepsConnection(t *testing.T) {
	s := listen(t, "127.0.0.1", "origin")
	rc := dial(t, s)
	f := rc.roundTrip(primitive.ProtocolVersion5, 7, &message.Startup{Options: map[string]string{"CQL_VERSION": "3.0.0"}})
	pe, ok := f.Body.Message.(*message.ProtocolError)
	if !ok || !strings.Contains(pe.ErrorMessage, "unsupported protocol version") {
		t.Fatalf("v5 STARTUP got %#v", f.Body.Message)
	}
	if _, ok := rc.roundTrip(primitive.ProtocolVersion4, 8, &message.Options{}).Body.Message.(*message.Supported); !ok {
		t.Fatal("connection unusable after a rejected v5 frame")
	}
}

func TestPreparedIDsAgreeAcrossServersAndCountOps(t *testing.T) {
	origin := listen(t, "127.0.0.1", "origin")
	target := listen(t, "127.0.0.1", "target")
	const insert = "INSERT INTO bench.kv (k, v) VALUES (?, ?)"
	v4 := primitive.ProtocolVersion4
	var ids [][]byte
	for _, s := range []*Server{origin, target} {
		rc := dial(t, s)
		p, ok := rc.roundTrip(v4, 1, &message.Prepare{Query: insert}).Body.Message.(*message.PreparedResult)
		if !ok || len(p.VariablesMetadata.Columns) != 2 {
			t.Fatalf("prepare: %#v", p)
		}
		ids = append(ids, p.PreparedQueryId)
		opts := &message.QueryOptions{PositionalValues: []*primitive.Value{
			primitive.NewValue([]byte{0, 0, 0, 0, 0, 0, 0, 1}), primitive.NewValue([]byte("x")),
		}}
		if _, ok := rc.roundTrip(v4, 2, &message.Execute{QueryId: p.PreparedQueryId, Options: opts}).Body.Message.(*message.VoidResult); !ok {
			t.Fatal("EXECUTE of an insert is not VOID")
		}
		if _, ok := rc.roundTrip(v4, 3, &message.Execute{QueryId: []byte("nope"), Options: opts}).Body.Message.(*message.Unprepared); !ok {
			t.Fatal("EXECUTE of an unknown id is not UNPREPARED")
		}
	}
	if !bytes.Equal(ids[0], ids[1]) {
		t.Fatalf("prepared ids differ: %x vs %x", ids[0], ids[1])
	}
	if o, tg := origin.Counts(), target.Counts(); o.Writes != 1 || tg.Writes != 1 || o.Reads != 0 {
		t.Fatalf("counts origin %+v target %+v", o, tg)
	}
}

func TestReadReturnsOneRowAndHonoursSkipMetadata(t *testing.T) {
	s := listen(t, "127.0.0.1", "origin")
	rc := dial(t, s)
	v4 := primitive.ProtocolVersion4
	p := rc.roundTrip(v4, 1, &message.Prepare{Query: "SELECT v FROM bench.kv WHERE k = ?"}).Body.Message.(*message.PreparedResult)
	if len(p.ResultMetadata.Columns) != 1 {
		t.Fatalf("prepared SELECT result metadata %#v", p.ResultMetadata)
	}
	key := []*primitive.Value{primitive.NewValue(make([]byte, 8))}
	for i, skip := range []bool{false, true} {
		res, ok := rc.roundTrip(v4, int16(10+i), &message.Execute{QueryId: p.PreparedQueryId,
			Options: &message.QueryOptions{PositionalValues: key, SkipMetadata: skip}}).Body.Message.(*message.RowsResult)
		if !ok || len(res.Data) != 1 || len(res.Data[0][0]) != ValueSize {
			t.Fatalf("skip=%v: %#v", skip, res)
		}
		if hasCols := len(res.Metadata.Columns) > 0; hasCols == skip {
			t.Fatalf("skip_metadata=%v but column specs present=%v", skip, hasCols)
		}
	}
	if c := s.Counts(); c.Reads != 2 {
		t.Fatalf("reads %d", c.Reads)
	}
}
