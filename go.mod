module github.com/zdmctl/zdmctl

go 1.26.0

require (
	github.com/apache/cassandra-gocql-driver/v2 v2.1.2
	github.com/datastax/go-cassandra-native-protocol v0.0.0-20260130100129-9d5b43677a33
)

require gopkg.in/inf.v0 v0.9.1 // indirect
