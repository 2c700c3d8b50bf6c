// Package testcluster drives scripts/cassandra.sh, which runs two real
// single-node Apache Cassandra 5.0 clusters for end-to-end tests: Origin and
// Target. It starts and stops them (all, or one node at a time, keeping its
// data) and says how to connect to each.
//
// Credentials: a node with authentication on (Target always, Origin when the
// environment has ORIGIN_AUTH=1) keeps Cassandra's default superuser, whose
// test-only name and password are Username and Password.
package testcluster
