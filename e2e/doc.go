// Package e2e holds the slow end-to-end tests: real hosts (a systemd-nspawn
// fleet, see internal/testfleet; needs root) and real Cassandra clusters.
// They build only with `-tags e2e` (`make test-e2e`).
package e2e
