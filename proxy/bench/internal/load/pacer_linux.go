//go:build linux

package load

import (
	"runtime"
	"syscall"
	"time"
)

// prSetTimerSlack is PR_SET_TIMERSLACK from <linux/prctl.h>.
const prSetTimerSlack = 29

// lockPacerThread pins the calling goroutine to its OS thread and sets that
// thread's timer slack to 1 ns. The goroutine must exit without unlocking,
// so the thread (and its slack) dies with it.
func lockPacerThread() {
	runtime.LockOSThread()
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0)
}

// sleepUntil blocks the calling thread until t. It uses nanosleep directly:
// the Go runtime's timers wake up to a millisecond late on a busy machine,
// which would make every open-loop operation look up to 1 ms slower; a
// locked thread with minimal timer slack wakes within tens of µs.
func sleepUntil(t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
