package admin

import (
	"runtime"
	"runtime/debug"

	"github.com/zdmctl/zdmctl/internal/version"
)

// CurrentBuild describes this binary: version.Version plus the Go version
// and VCS stamp recorded by the toolchain.
func CurrentBuild() BuildInfo {
	b := BuildInfo{Version: version.Version, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.VCSRevision = s.Value
			case "vcs.time":
				b.VCSTime = s.Value
			case "vcs.modified":
				b.VCSModified = s.Value == "true"
			}
		}
	}
	return b
}
