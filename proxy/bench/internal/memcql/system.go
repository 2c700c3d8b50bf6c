package memcql

import (
	"net"

	"github.com/datastax/go-cassandra-native-protocol/datatype"
	"github.com/datastax/go-cassandra-native-protocol/message"
)

func localCol(name string, t datatype.DataType) *message.ColumnMetadata {
	return &message.ColumnMetadata{Keyspace: "system", Table: "local", Name: name, Type: t}
}

func peersCol(name string, t datatype.DataType) *message.ColumnMetadata {
	return &message.ColumnMetadata{Keyspace: "system", Table: "peers", Name: name, Type: t}
}

var systemLocalColumns = []*message.ColumnMetadata{
	localCol("key", datatype.Varchar),
	localCol("bootstrapped", datatype.Varchar),
	localCol("broadcast_address", datatype.Inet),
	localCol("cluster_name", datatype.Varchar),
	localCol("cql_version", datatype.Varchar),
	localCol("data_center", datatype.Varchar),
	localCol("host_id", datatype.Uuid),
	localCol("listen_address", datatype.Inet),
	localCol("native_protocol_version", datatype.Varchar),
	localCol("partitioner", datatype.Varchar),
	localCol("rack", datatype.Varchar),
	localCol("release_version", datatype.Varchar),
	localCol("rpc_address", datatype.Inet),
	localCol("schema_version", datatype.Uuid),
	localCol("tokens", datatype.NewSet(datatype.Varchar)),
}

var systemPeersColumns = []*message.ColumnMetadata{
	peersCol("peer", datatype.Inet),
	peersCol("data_center", datatype.Varchar),
	peersCol("host_id", datatype.Uuid),
	peersCol("preferred_ip", datatype.Inet),
	peersCol("rack", datatype.Varchar),
	peersCol("release_version", datatype.Varchar),
	peersCol("rpc_address", datatype.Inet),
	peersCol("schema_version", datatype.Uuid),
	peersCol("tokens", datatype.NewSet(datatype.Varchar)),
}

var schemaVersion = []byte{0x5c, 0x1e, 0x3a, 0x20, 0x0b, 0x7e, 0x4d, 0x11, 0x9a, 0x2f, 0x10, 0x00, 0x00, 0x00, 0x00, 0x01}

// wholeRingTokens is the CQL set<text> {'-9223372036854775808'} in v3+ encoding.
func wholeRingTokens() []byte {
	const tok = "-9223372036854775808"
	b := []byte{0, 0, 0, 1, 0, 0, 0, byte(len(tok))}
	return append(b, tok...)
}

// systemLocal builds the single system.local row for a server reachable at ip.
func systemLocal(cluster, dc string, hostID []byte, ip net.IP) *message.RowsResult {
	addr := []byte(ip.To16())
	if v4 := ip.To4(); v4 != nil {
		addr = []byte(v4)
	}
	row := message.Row{
		[]byte("local"),
		[]byte("COMPLETED"),
		addr,
		[]byte(cluster),
		[]byte("3.4.4"),
		[]byte(dc),
		hostID,
		addr,
		[]byte("4"),
		[]byte("org.apache.cassandra.dht.Murmur3Partitioner"),
		[]byte("rack1"),
		[]byte("3.11.17"),
		addr,
		schemaVersion,
		wholeRingTokens(),
	}
	return &message.RowsResult{
		Metadata: &message.RowsMetadata{ColumnCount: int32(len(systemLocalColumns)), Columns: systemLocalColumns},
		Data:     message.RowSet{row},
	}
}

// emptyPeers is system.peers of a one-node cluster.
func emptyPeers() *message.RowsResult {
	return &message.RowsResult{
		Metadata: &message.RowsMetadata{ColumnCount: int32(len(systemPeersColumns)), Columns: systemPeersColumns},
		Data:     message.RowSet{},
	}
}
