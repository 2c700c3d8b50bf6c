package digest

import (
	"bytes"
	"testing"

	"github.com/datastax/go-cassandra-native-protocol/datatype"
	"github.com/datastax/go-cassandra-native-protocol/message"
	"github.com/datastax/go-cassandra-native-protocol/primitive"
)

// encode builds a RESULT body with the reference codec of
// go-cassandra-native-protocol, so the parser is checked against an
// independent encoder.
func encode(t testing.TB, v primitive.ProtocolVersion, md *message.RowsMetadata, rows message.RowSet) []byte {
	t.Helper()
	var codec message.Codec
	for _, c := range message.DefaultMessageCodecs {
		if c.GetOpCode() == primitive.OpCodeResult {
			codec = c
		}
	}
	var buf bytes.Buffer
	if err := codec.Encode(&message.RowsResult{Metadata: md, Data: rows}, &buf, v); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return buf.Bytes()
}

func udt(t testing.TB) datatype.DataType {
	u, err := datatype.NewUserDefined("ks", "addr", []string{"street", "tags"},
		[]datatype.DataType{datatype.Varchar, datatype.NewSet(datatype.Ascii)})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// columns are the specs of a table with every kind of type option.
func columns(t testing.TB, ks, table string) []*message.ColumnMetadata {
	types := []datatype.DataType{
		datatype.Int, datatype.Varchar, datatype.NewList(datatype.Bigint),
		datatype.NewMap(datatype.Varchar, datatype.NewTuple(datatype.Int, datatype.Uuid)),
		udt(t), datatype.NewCustom("org.apache.cassandra.db.marshal.VectorType(FloatType,3)"),
		datatype.Duration,
	}
	cols := make([]*message.ColumnMetadata, len(types))
	for i, ty := range types {
		cols[i] = &message.ColumnMetadata{Keyspace: ks, Table: table, Name: string(rune('a' + i)), Index: int32(i), Type: ty}
	}
	return cols
}

func row(id byte, text string) message.Row {
	return message.Row{{0, 0, 0, id}, []byte(text), nil, {}, []byte("u"), {1, 2, 3}, {7}}
}
