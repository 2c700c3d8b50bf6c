//go:build e2e

package e2e

import (
	"os"
	"testing"
)

// TestMain is the only one in package e2e: it runs the tests, then the
// package-level teardowns (the shared fleet, ...) registered with
// atPackageExit, so tests can share expensive fixtures.
func TestMain(m *testing.M) {
	code := m.Run()
	runPackageTeardowns()
	os.Exit(code)
}
