package memcql

import (
	"github.com/datastax/go-cassandra-native-protocol/datatype"
	"github.com/datastax/go-cassandra-native-protocol/message"
)

// Keyspace and Table name the single table the server pretends to hold:
// CREATE TABLE bench.kv (k bigint PRIMARY KEY, v blob).
const (
	Keyspace = "bench"
	Table    = "kv"
)

// ValueSize is the size in bytes of the blob returned by every read.
const ValueSize = 100

var (
	keyColumn   = &message.ColumnMetadata{Keyspace: Keyspace, Table: Table, Name: "k", Index: 0, Type: datatype.Bigint}
	valueColumn = &message.ColumnMetadata{Keyspace: Keyspace, Table: Table, Name: "v", Index: 1, Type: datatype.Blob}
	// bindColumns are assigned, in order, to the bind markers of a prepared
	// statement: the first marker is k, the second v.
	bindColumns = []*message.ColumnMetadata{keyColumn, valueColumn}
	// readColumns is the result metadata of every user SELECT.
	readColumns = []*message.ColumnMetadata{valueColumn}
	readValue   = make([]byte, ValueSize)
)
