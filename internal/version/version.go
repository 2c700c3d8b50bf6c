// Package version holds the build's version, set with -ldflags at build time.
package version

// Version is the release or git describe of the build; "dev" when unset.
var Version = "dev"
