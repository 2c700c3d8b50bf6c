package cqltest

import (
	"fmt"
	"strings"
	"time"

	"github.com/datastax/go-cassandra-native-protocol/client"
	"github.com/datastax/go-cassandra-native-protocol/datatype"
	"github.com/datastax/go-cassandra-native-protocol/frame"
	"github.com/datastax/go-cassandra-native-protocol/message"
	"github.com/datastax/go-cassandra-native-protocol/primitive"
)

const (
	stateKey      = "state"
	keyspaceKey   = "keyspace"
	registeredKey = "registered"
)

func (c *Cluster) handle(req *frame.Frame, conn *Conn) *frame.Frame {
	ctx := conn
	v := req.Header.Version
	id := req.Header.StreamId
	reply := func(m message.Message) *frame.Frame { return frame.NewFrame(v, id, m) }
	if v > c.MaxVersion {
		return frame.NewFrame(c.MaxVersion, id, &message.ProtocolError{
			ErrorMessage: fmt.Sprintf("Invalid or unsupported protocol version (%d); supported versions are (3/v3, 4/v4%s)", v, map[bool]string{true: ", 5/v5", false: ""}[c.MaxVersion >= 5])})
	}
	switch m := req.Body.Message.(type) {
	case *message.Options:
		versions := []string{"3/v3", "4/v4"}
		if c.MaxVersion >= 5 {
			versions = append(versions, "5/v5")
		}
		return reply(&message.Supported{Options: map[string][]string{
			"CQL_VERSION": {"3.4.7"}, "COMPRESSION": {"lz4", "snappy"}, "PROTOCOL_VERSIONS": versions}})
	case *message.Startup:
		c.mu.Lock()
		c.startups++
		creds := c.creds
		c.mu.Unlock()
		if creds == nil {
			ctx.put(stateKey, "ready")
			return reply(&message.Ready{})
		}
		ctx.put(stateKey, "auth")
		return reply(&message.Authenticate{Authenticator: "org.apache.cassandra.auth.PasswordAuthenticator"})
	case *message.AuthResponse:
		if ctx.get(stateKey) != "auth" {
			return reply(&message.ProtocolError{ErrorMessage: "unexpected AUTH_RESPONSE"})
		}
		c.mu.Lock()
		want := c.creds
		c.mu.Unlock()
		creds := &client.AuthCredentials{}
		if err := creds.Unmarshal(m.Token); err != nil || want == nil || creds.Username != want.Username || creds.Password != want.Password {
			return reply(&message.AuthenticationError{ErrorMessage: "Provided username and/or password are incorrect"})
		}
		ctx.put(stateKey, "ready")
		return reply(&message.AuthSuccess{})
	}
	if ctx.get(stateKey) != "ready" {
		return reply(&message.ProtocolError{ErrorMessage: "request before the handshake completed"})
	}
	ks, _ := ctx.get(keyspaceKey).(string)
	rec := Received{Opcode: req.Header.OpCode, Version: v, Flags: req.Header.Flags, Keyspace: ks}
	switch m := req.Body.Message.(type) {
	case *message.Query:
		rec.Query = m.Query
		rec.Values = values(m.Options)
		rec.Paged = m.Options != nil && m.Options.PagingState != nil
		if m.Options != nil {
			rec.Timestamp, rec.Consistency = m.Options.DefaultTimestamp, m.Options.Consistency
		}
	case *message.Prepare:
		rec.Query = m.Query
	case *message.Execute:
		rec.ID, rec.MetaID = m.QueryId, m.ResultMetadataId
		rec.Values = values(m.Options)
		if m.Options != nil {
			rec.Timestamp, rec.Consistency = m.Options.DefaultTimestamp, m.Options.Consistency
		}
		c.mu.Lock()
		rec.Query = c.prepared[string(m.QueryId)]
		c.mu.Unlock()
	case *message.Batch:
		rec.Timestamp, rec.Consistency = m.DefaultTimestamp, m.Consistency
		c.mu.Lock()
		for _, ch := range m.Children {
			q := ch.Query
			if q == "" {
				q = c.prepared[string(ch.Id)]
				if q == "" {
					q = "<unknown id>"
				}
			}
			rec.Children = append(rec.Children, q)
			rec.ChildValues = append(rec.ChildValues, childValues(ch.Values))
		}
		c.mu.Unlock()
	case *message.Register:
		ctx.put(registeredKey, v)
		return reply(&message.Ready{})
	}
	c.mu.Lock()
	c.received = append(c.received, rec)
	hook := c.hook
	c.mu.Unlock()
	if hook != nil && !isSystem(rec.Query) {
		a := hook(rec)
		if a.Delay > 0 {
			time.Sleep(a.Delay)
		}
		switch {
		case a.Drop:
			conn.Close()
			return nil
		case a.NoAnswer:
			return nil
		case a.Error != nil:
			switch a.ErrorCode {
			case ErrCodeOverloaded:
				return reply(&message.Overloaded{ErrorMessage: a.Error.Error()})
			case ErrCodeInvalid:
				return reply(&message.Invalid{ErrorMessage: a.Error.Error()})
			case ErrCodeUnavailable:
				return reply(&message.Unavailable{ErrorMessage: a.Error.Error(), Consistency: primitive.ConsistencyLevelOne, Required: 1})
			}
			return reply(&message.ServerError{ErrorMessage: a.Error.Error()})
		}
	}
	if rows := c.rowsFor(rec); rows != nil && (rec.Opcode == primitive.OpCodeQuery || rec.Opcode == primitive.OpCodeExecute) {
		return reply(rows)
	}
	switch m := req.Body.Message.(type) {
	case *message.Query:
		return reply(c.answerQuery(m.Query, ctx))
	case *message.Prepare:
		pid := c.preparedID(m.Query)
		c.mu.Lock()
		c.prepared[string(pid)] = m.Query
		c.mu.Unlock()
		res := &message.PreparedResult{PreparedQueryId: pid, VariablesMetadata: variables(m.Query, v), ResultMetadata: &message.RowsMetadata{}}
		if isSelect(m.Query) {
			res.ResultMetadata = &message.RowsMetadata{ColumnCount: 2, Columns: dataColumns}
		}
		if v >= primitive.ProtocolVersion5 {
			res.ResultMetadataId = c.metaID(m.Query)
		}
		return reply(res)
	case *message.Execute:
		if rec.Query == "" {
			return reply(&message.Unprepared{ErrorMessage: "Prepared query with ID not found", Id: m.QueryId})
		}
		return reply(c.answerQuery(rec.Query, ctx))
	case *message.Batch:
		for _, ch := range m.Children {
			if ch.Query == "" {
				c.mu.Lock()
				_, ok := c.prepared[string(ch.Id)]
				c.mu.Unlock()
				if !ok {
					return reply(&message.Unprepared{ErrorMessage: "Prepared query with ID not found", Id: ch.Id})
				}
			}
		}
		return reply(&message.VoidResult{})
	}
	return reply(&message.ProtocolError{ErrorMessage: "unsupported request"})
}

func values(o *message.QueryOptions) [][]byte {
	if o == nil {
		return nil
	}
	var out [][]byte
	for _, v := range o.PositionalValues {
		out = append(out, v.Contents)
	}
	return out
}

func childValues(vs []*primitive.Value) [][]byte {
	var out [][]byte
	for _, v := range vs {
		if v == nil {
			out = append(out, nil)
			continue
		}
		out = append(out, v.Contents)
	}
	return out
}

func isSelect(q string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(q)), "select")
}

func isSystem(q string) bool {
	l := strings.ToLower(q)
	return strings.Contains(l, " system.") || strings.Contains(l, " system_schema.")
}

// BigValueLen is the length of the value a SELECT mentioning "big" returns.
const BigValueLen = 300_000

var dataColumns = []*message.ColumnMetadata{
	{Keyspace: "ks", Table: "t", Name: "cluster", Type: datatype.Varchar},
	{Keyspace: "ks", Table: "t", Name: "value", Type: datatype.Varchar},
}

func variables(q string, v primitive.ProtocolVersion) *message.VariablesMetadata {
	n := 0
	inQuote := false
	for _, r := range q {
		switch {
		case r == '\'':
			inQuote = !inQuote
		case r == '?' && !inQuote:
			n++
		}
	}
	vm := &message.VariablesMetadata{}
	for i := 0; i < n; i++ {
		vm.Columns = append(vm.Columns, &message.ColumnMetadata{Keyspace: "ks", Table: "t", Name: fmt.Sprintf("p%d", i), Type: datatype.Varchar})
	}
	if n > 0 && v >= primitive.ProtocolVersion4 {
		vm.PkIndices = []uint16{0}
	}
	return vm
}

func (c *Cluster) answerQuery(q string, ctx *Conn) message.Message {
	l := strings.ToLower(strings.Join(strings.Fields(q), " "))
	switch {
	case strings.HasPrefix(l, "use "):
		ks := strings.Trim(strings.TrimSpace(q[4:]), "\"; ")
		ctx.put(keyspaceKey, ks)
		return &message.SetKeyspaceResult{Keyspace: ks}
	case strings.Contains(l, "from system.local"):
		return c.systemLocal()
	case strings.Contains(l, "from system.peers"):
		return &message.RowsResult{Metadata: &message.RowsMetadata{ColumnCount: int32(len(peersColumns)), Columns: peersColumns}, Data: message.RowSet{}}
	case strings.HasPrefix(l, "select") && (strings.Contains(l, " system.") || strings.Contains(l, " system_schema.")):
		return &message.RowsResult{Metadata: &message.RowsMetadata{ColumnCount: 0}, Data: message.RowSet{}}
	case strings.HasPrefix(l, "select"):
		value := message.Column("v")
		if strings.Contains(l, "big") { // a response larger than one v5 segment
			value = message.Column(strings.Repeat("0123456789", BigValueLen/10))
		}
		return &message.RowsResult{Metadata: &message.RowsMetadata{ColumnCount: 2, Columns: dataColumns},
			Data: message.RowSet{{message.Column(c.Name), value}}}
	case strings.HasPrefix(l, "create") || strings.HasPrefix(l, "alter") || strings.HasPrefix(l, "drop"):
		return &message.SchemaChangeResult{ChangeType: primitive.SchemaChangeTypeCreated, Target: primitive.SchemaChangeTargetKeyspace, Keyspace: "ks"}
	}
	return &message.VoidResult{}
}

func col(table, name string, t datatype.DataType) *message.ColumnMetadata {
	return &message.ColumnMetadata{Keyspace: "system", Table: table, Name: name, Type: t}
}

// localColumns mirror Cassandra 5.0's system.local.
var localColumns = []*message.ColumnMetadata{
	col("local", "key", datatype.Varchar),
	col("local", "bootstrapped", datatype.Varchar),
	col("local", "broadcast_address", datatype.Inet),
	col("local", "broadcast_port", datatype.Int),
	col("local", "cluster_name", datatype.Varchar),
	col("local", "cql_version", datatype.Varchar),
	col("local", "data_center", datatype.Varchar),
	col("local", "gossip_generation", datatype.Int),
	col("local", "host_id", datatype.Uuid),
	col("local", "listen_address", datatype.Inet),
	col("local", "listen_port", datatype.Int),
	col("local", "native_protocol_version", datatype.Varchar),
	col("local", "partitioner", datatype.Varchar),
	col("local", "rack", datatype.Varchar),
	col("local", "release_version", datatype.Varchar),
	col("local", "rpc_address", datatype.Inet),
	col("local", "rpc_port", datatype.Int),
	col("local", "schema_version", datatype.Uuid),
	col("local", "tokens", datatype.NewSet(datatype.Varchar)),
	col("local", "truncated_at", datatype.NewMap(datatype.Uuid, datatype.Blob)),
}

var peersColumns = []*message.ColumnMetadata{
	col("peers", "peer", datatype.Inet),
	col("peers", "data_center", datatype.Varchar),
	col("peers", "host_id", datatype.Uuid),
	col("peers", "preferred_ip", datatype.Inet),
	col("peers", "rack", datatype.Varchar),
	col("peers", "release_version", datatype.Varchar),
	col("peers", "rpc_address", datatype.Inet),
	col("peers", "schema_version", datatype.Uuid),
	col("peers", "tokens", datatype.NewSet(datatype.Varchar)),
}

func (c *Cluster) systemLocal() message.Message {
	ip := []byte{127, 0, 0, 1}
	tok := "-9223372036854775808"
	tokens := []byte{0, 0, 0, 1, 0, 0, 0, byte(len(tok))}
	tokens = append(tokens, tok...)
	uuid := c.preparedID("host")
	schema := c.preparedID("schema")
	port := []byte{0, 0, 0x23, 0x52}
	truncated := []byte{0, 0, 0, 1, 0, 0, 0, 16}
	truncated = append(truncated, c.preparedID("table")...)
	truncated = append(truncated, 0, 0, 0, 3, 1, 2, 3)
	return &message.RowsResult{
		Metadata: &message.RowsMetadata{ColumnCount: int32(len(localColumns)), Columns: localColumns},
		Data: message.RowSet{{
			message.Column("local"), message.Column("COMPLETED"), ip, []byte{0, 0, 0x1b, 0x58},
			message.Column("cluster-" + c.Name), message.Column("3.4.7"), message.Column("dc-" + c.Name),
			[]byte{0x65, 0, 0, 1}, uuid, ip, []byte{0, 0, 0x1b, 0x58}, message.Column("5"),
			message.Column("org.apache.cassandra.dht.Murmur3Partitioner"), message.Column("rack1"),
			message.Column("5.0.2"), ip, port, schema, tokens, truncated,
		}},
	}
}
