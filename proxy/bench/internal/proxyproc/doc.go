// Package proxyproc builds, configures, starts and stops the proxy under test
// as a separate OS process, so that its CPU time can be read from /proc.
package proxyproc
