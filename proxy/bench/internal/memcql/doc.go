// Package memcql is a lean in-memory CQL server for benchmarks. It speaks
// native protocol v3/v4 using the frame codec of go-cassandra-native-protocol,
// stores nothing, and answers every request with a canned result: system.local
// and system.peers for driver bootstrap, VOID for writes, one row for reads.
// One goroutine per connection decodes requests and writes buffered responses,
// flushing only when no further request is already buffered, so the server
// costs little CPU next to the client and proxy it is measuring.
package memcql
