// Package hostile holds only tests: the real zdm-proxy binary, run as a
// child process in front of in-memory clusters, is probed by broken and
// hostile clients while a healthy gocql load runs beside them. The load
// must see no error and the proxy's peak RSS (VmHWM) must stay under a
// fixed bound.
//
// ZDM_TEST_HOSTILE_PROXY_BIN runs another build instead of building
// ./cmd/zdm-proxy (e.g. to see an older build fail the test).
package hostile
