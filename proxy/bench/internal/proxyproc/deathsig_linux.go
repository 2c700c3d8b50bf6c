//go:build linux

package proxyproc

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the proxy if the bench dies without
// stopping it (Ctrl-C, a crash, a killed test binary), so no orphaned proxy
// keeps a port and a core busy.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
