package cqltest

import (
	"bytes"
	"crypto/md5"
	"net"
	"strings"
	"sync"
	"testing"

	cqlframe "github.com/datastax/go-cassandra-native-protocol/frame"
	"github.com/datastax/go-cassandra-native-protocol/message"
	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// FastCluster is a minimal fake node for load tests: it answers from canned
// raw frames (READY, SUPPORTED, VOID for writes, one small row for SELECT,
// a fixed PREPARED result), records nothing and costs little CPU, so the
// proxy's own cost can be measured.
type FastCluster struct {
	Addr string
	ln   net.Listener
	wg   sync.WaitGroup
}

// StartFast runs a FastCluster on a loopback port until the test ends.
func StartFast(t testing.TB) *FastCluster {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &FastCluster{Addr: ln.Addr().String(), ln: ln}
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(func() { ln.Close(); f.wg.Wait() })
	return f
}

func (f *FastCluster) serve() {
	defer f.wg.Done()
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		nc, err := f.ln.Accept()
		if err != nil {
			return
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			serveFast(nc)
		}()
	}
}

var rowsBody = func() []byte {
	b := []byte{0, 0, 0, 2}               // Rows
	b = append(b, 0, 0, 0, 1, 0, 0, 0, 1) // flags: global table spec; 1 column
	b = frame.AppendString(b, "ks")
	b = frame.AppendString(b, "t")
	b = frame.AppendString(b, "v")
	b = append(b, 0, 0x0D)    // varchar
	b = append(b, 0, 0, 0, 1) // 1 row
	b = append(b, 0, 0, 0, 5) // value length
	return append(b, "value"...)
}()

var fastPrepared sync.Map // string(id) -> query

// systemAnswer encodes a system table answer with the library (rare path).
func systemAnswer(v byte, q string) []byte {
	c := &Cluster{Name: "fast"}
	var m message.Message
	l := strings.ToLower(q)
	switch {
	case strings.Contains(l, "system.local"):
		m = c.systemLocal()
	case strings.Contains(l, "system.peers"):
		m = &message.RowsResult{Metadata: &message.RowsMetadata{ColumnCount: int32(len(peersColumns)), Columns: peersColumns}, Data: message.RowSet{}}
	default:
		m = &message.RowsResult{Metadata: &message.RowsMetadata{ColumnCount: 0}, Data: message.RowSet{}}
	}
	var buf bytes.Buffer
	_ = cqlframe.NewCodec().EncodeFrame(cqlframe.NewFrame(primitive.ProtocolVersion(v), 0, m), &buf)
	return buf.Bytes()[frame.HeaderLen:]
}

func queryOf(f frame.Frame) string {
	c := frame.Cursor{B: f.Body()}
	if f.Opcode() == frame.OpExecute {
		id := c.ShortBytes()
		q, _ := fastPrepared.Load(string(id))
		s, _ := q.(string)
		return s
	}
	return string(c.LongStringBytes())
}

func preparedBody(v byte, q string) []byte {
	b := []byte{0, 0, 0, 4}
	id := md5.Sum([]byte(q))
	fastPrepared.Store(string(id[:]), q)
	b = frame.AppendShortBytes(b, id[:])
	if v >= 5 {
		b = frame.AppendShortBytes(b, []byte("meta"))
	}
	b = append(b, 0, 0, 0, 1, 0, 0, 0, 2) // variables: global spec, 2 columns
	if v >= 4 {
		b = append(b, 0, 0, 0, 1, 0, 0) // 1 pk index: 0
	}
	b = frame.AppendString(b, "ks")
	b = frame.AppendString(b, "t")
	b = frame.AppendString(b, "k")
	b = append(b, 0, 0x0D)
	b = frame.AppendString(b, "v")
	b = append(b, 0, 0x0D)
	return append(b, 0, 0, 0, 4, 0, 0, 0, 0) // result metadata: no metadata, 0 columns
}

func serveFast(nc net.Conn) {
	defer nc.Close()
	r := frame.NewReader(nc, 64<<10)
	w := frame.NewWriter(nc)
	defer w.Close()
	for {
		f, err := r.ReadFrame()
		if err != nil {
			return
		}
		v := f.Version()
		var op byte
		var body []byte
		switch f.Opcode() {
		case frame.OpOptions:
			op = frame.OpSupported
			body = []byte{0, 1}
			body = frame.AppendString(body, "PROTOCOL_VERSIONS")
			body = frame.AppendStringList(body, []string{"3/v3", "4/v4", "5/v5"})
		case frame.OpStartup:
			op = frame.OpReady
		case frame.OpRegister:
			op = frame.OpReady
		case frame.OpPrepare:
			op, body = frame.OpResult, preparedBody(v, queryOf(f))
		case frame.OpQuery, frame.OpExecute:
			op, body = frame.OpResult, []byte{0, 0, 0, 1}
			q := queryOf(f)
			if strings.Contains(q, "system") {
				body = systemAnswer(v, q)
			} else if len(q) > 0 && (q[0] == 'S' || q[0] == 's') {
				body = rowsBody
			}
		default:
			op, body = frame.OpResult, []byte{0, 0, 0, 1}
		}
		stream := f.Stream()
		if op == frame.OpReady && f.Opcode() == frame.OpStartup {
			// Written directly: v5 switches to segments right after READY.
			out := frame.AppendHeader(nil, v|frame.ResponseBit, 0, stream, op, 0)
			if _, err := nc.Write(out); err != nil {
				return
			}
			if v >= 5 {
				r.SetSegmented(true)
				w.Configure(true, nil)
			}
			continue
		}
		_ = w.EnqueueFunc(func(dst []byte) []byte {
			dst = frame.AppendHeader(dst, v|frame.ResponseBit, 0, stream, op, len(body))
			return append(dst, body...)
		})
		if !r.HasBufferedFrame() {
			_ = w.Flush()
		}
	}
}
