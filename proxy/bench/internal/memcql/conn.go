package memcql

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"

	"github.com/datastax/go-cassandra-native-protocol/frame"
	"github.com/datastax/go-cassandra-native-protocol/message"
	"github.com/datastax/go-cassandra-native-protocol/primitive"
)

// cacheKey identifies a pre-encoded hot-path response body.
type cacheKey struct {
	kind     kind
	version  primitive.ProtocolVersion
	skipMeta bool
}

// conn serves one client connection on one goroutine.
type conn struct {
	s     *Server
	nc    net.Conn
	r     *bufio.Reader
	w     *bufio.Writer
	codec frame.RawCodec
	cache map[cacheKey][]byte
}

func newConn(s *Server, nc net.Conn) *conn {
	return &conn{
		s: s, nc: nc,
		r:     bufio.NewReaderSize(nc, 64<<10),
		w:     bufio.NewWriterSize(nc, 64<<10),
		codec: frame.NewRawCodec(),
		cache: make(map[cacheKey][]byte),
	}
}

func (c *conn) serve() error {
	for {
		b, err := c.r.Peek(1)
		if err != nil {
			return err
		}
		if v := primitive.ProtocolVersion(b[0] & 0x7f); v != primitive.ProtocolVersion3 && v != primitive.ProtocolVersion4 {
			if err := c.rejectVersion(v); err != nil {
				return err
			}
			continue
		}
		f, err := c.codec.DecodeFrame(c.r)
		if err != nil {
			return fmt.Errorf("decode request: %w", err)
		}
		if f.Header.Flags.Contains(primitive.HeaderFlagCompressed) {
			return fmt.Errorf("compressed frames are not supported")
		}
		if err := c.handle(f); err != nil {
			return err
		}
		if c.r.Buffered() == 0 {
			if err := c.w.Flush(); err != nil {
				return fmt.Errorf("flush responses: %w", err)
			}
		}
	}
}

// rejectVersion answers a frame of an unsupported protocol version the way
// Cassandra does, so that drivers and proxies downgrade to v4.
func (c *conn) rejectVersion(v primitive.ProtocolVersion) error {
	var hdr [9]byte // v3+ header; v1/v2 clients get the error then a close
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return err
	}
	stream := int16(binary.BigEndian.Uint16(hdr[2:4]))
	if v >= primitive.ProtocolVersion3 {
		if _, err := c.r.Discard(int(binary.BigEndian.Uint32(hdr[5:9]))); err != nil {
			return err
		}
	}
	msg := &message.ProtocolError{ErrorMessage: fmt.Sprintf(
		"Invalid or unsupported protocol version (%d); supported versions are (3/v3, 4/v4)", v)}
	if err := c.write(primitive.ProtocolVersion4, stream, msg); err != nil {
		return err
	}
	if err := c.w.Flush(); err != nil {
		return err
	}
	if v < primitive.ProtocolVersion3 {
		return fmt.Errorf("client spoke protocol v%d", v)
	}
	return nil
}

func (c *conn) handle(f *frame.Frame) error {
	v, stream := f.Header.Version, f.Header.StreamId
	switch m := f.Body.Message.(type) {
	case *message.Options:
		return c.write(v, stream, &message.Supported{Options: map[string][]string{
			"CQL_VERSION": {"3.4.4"}, "PROTOCOL_VERSIONS": {"3/v3", "4/v4"}, "COMPRESSION": {},
		}})
	case *message.Startup, *message.Register:
		return c.write(v, stream, &message.Ready{})
	case *message.Query:
		k, ks := classify(m.Query)
		skip := m.Options != nil && m.Options.SkipMetadata
		return c.respond(v, stream, k, ks, skip)
	case *message.Prepare:
		id, p := c.s.stmts.prepare(m.Query)
		return c.write(v, stream, preparedResult(id, p))
	case *message.Execute:
		p, ok := c.s.stmts.lookup(m.QueryId)
		if !ok {
			return c.write(v, stream, &message.Unprepared{ErrorMessage: "unknown prepared id", Id: m.QueryId})
		}
		skip := m.Options != nil && m.Options.SkipMetadata
		return c.respond(v, stream, p.kind, "", skip)
	case *message.Batch:
		c.s.writes.Add(int64(len(m.Children)))
		return c.writeCached(v, stream, cacheKey{kind: kindWrite, version: v})
	default:
		return c.write(v, stream, &message.ProtocolError{ErrorMessage: fmt.Sprintf("unsupported request %v", f.Header.OpCode)})
	}
}

func (c *conn) respond(v primitive.ProtocolVersion, stream int16, k kind, keyspace string, skipMeta bool) error {
	switch k {
	case kindWrite:
		c.s.writes.Add(1)
		return c.writeCached(v, stream, cacheKey{kind: kindWrite, version: v})
	case kindRead:
		c.s.reads.Add(1)
		return c.writeCached(v, stream, cacheKey{kind: kindRead, version: v, skipMeta: skipMeta})
	case kindLocal:
		ip := c.nc.LocalAddr().(*net.TCPAddr).IP
		return c.write(v, stream, systemLocal(c.s.cluster, c.s.dc, c.s.hostID, ip))
	case kindPeers:
		return c.write(v, stream, emptyPeers())
	case kindPeersV2:
		return c.write(v, stream, &message.Invalid{ErrorMessage: "unconfigured table peers_v2"})
	case kindUse:
		return c.write(v, stream, &message.SetKeyspaceResult{Keyspace: keyspace})
	default:
		return c.write(v, stream, &message.RowsResult{Metadata: &message.RowsMetadata{}, Data: message.RowSet{}})
	}
}

func preparedResult(id []byte, p prepared) *message.PreparedResult {
	vars := &message.VariablesMetadata{Columns: bindColumns[:p.nvars]}
	if p.nvars > 0 {
		vars.PkIndices = []uint16{0}
	}
	res := &message.RowsMetadata{}
	if p.kind == kindRead {
		res = &message.RowsMetadata{ColumnCount: int32(len(readColumns)), Columns: readColumns}
	}
	return &message.PreparedResult{PreparedQueryId: id, VariablesMetadata: vars, ResultMetadata: res}
}

// hotResult builds the message behind a cached response.
func hotResult(k cacheKey) message.Message {
	if k.kind != kindRead {
		return &message.VoidResult{}
	}
	md := &message.RowsMetadata{ColumnCount: int32(len(readColumns)), Columns: readColumns}
	if k.skipMeta {
		md = &message.RowsMetadata{ColumnCount: int32(len(readColumns))}
	}
	return &message.RowsResult{Metadata: md, Data: message.RowSet{{readValue}}}
}

func (c *conn) writeCached(v primitive.ProtocolVersion, stream int16, k cacheKey) error {
	body, ok := c.cache[k]
	if !ok {
		raw, err := c.codec.ConvertToRawFrame(frame.NewFrame(v, 0, hotResult(k)))
		if err != nil {
			return fmt.Errorf("encode cached response: %w", err)
		}
		body = raw.Body
		c.cache[k] = body
	}
	var hdr [9]byte
	hdr[0] = 0x80 | byte(v)
	binary.BigEndian.PutUint16(hdr[2:4], uint16(stream))
	hdr[4] = byte(primitive.OpCodeResult)
	binary.BigEndian.PutUint32(hdr[5:9], uint32(len(body)))
	if _, err := c.w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := c.w.Write(body)
	return err
}

func (c *conn) write(v primitive.ProtocolVersion, stream int16, m message.Message) error {
	if err := c.codec.EncodeFrame(frame.NewFrame(v, stream, m), c.w); err != nil {
		return fmt.Errorf("encode %T response: %w", m, err)
	}
	return nil
}
