package testfleet

import (
	"sync"
	"syscall"
)

// This machine's init does not reap orphans, so a systemd-nspawn whose
// launcher has exited would stay a zombie after Down. Up makes the calling
// process a child subreaper: its containers' systemd-nspawn processes are
// re-parented to it, and Down reaps them. (When the caller exits before
// Down, as the testfleet command does, they go to init as before.)

const prSetChildSubreaper = 36

var subreaperOnce sync.Once

func becomeSubreaper() {
	subreaperOnce.Do(func() {
		_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	})
}

// reap collects pid's exit status if it is our exited child; it never
// blocks and ignores pids that are not our children.
func reap(pid int) {
	var ws syscall.WaitStatus
	_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
}
