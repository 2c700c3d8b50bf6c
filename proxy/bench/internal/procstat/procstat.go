// Package procstat reads the CPU time a process has consumed from
// /proc/PID/stat.
package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// ClockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat. The
// kernel fixes it at 100 on every mainstream architecture; reading it
// properly needs sysconf(_SC_CLK_TCK), that is cgo.
const ClockTicks = 100

// CPU is the user and system time of a process and all its threads.
type CPU struct {
	User   time.Duration
	System time.Duration
}

// Total is user plus system time.
func (c CPU) Total() time.Duration { return c.User + c.System }

// Sub returns c minus earlier.
func (c CPU) Sub(earlier CPU) CPU {
	return CPU{User: c.User - earlier.User, System: c.System - earlier.System}
}

// Read returns the CPU time consumed so far by process pid.
func Read(pid int) (CPU, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return CPU{}, fmt.Errorf("read cpu time of pid %d: %w", pid, err)
	}
	c, err := Parse(b)
	if err != nil {
		return CPU{}, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	return c, nil
}

// Parse extracts utime and stime (fields 14 and 15) from the content of a
// /proc/PID/stat file. The command name (field 2) is in parentheses and may
// itself hold spaces and parentheses, so fields are counted from the last ')'.
func Parse(stat []byte) (CPU, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return CPU{}, fmt.Errorf("no ')' closing the command name")
	}
	fields := bytes.Fields(stat[end+1:])
	// fields[0] is field 3 (state), so field n is fields[n-3].
	if len(fields) < 13 {
		return CPU{}, fmt.Errorf("only %d fields after the command name", len(fields))
	}
	utime, err := strconv.ParseUint(string(fields[11]), 10, 64)
	if err != nil {
		return CPU{}, fmt.Errorf("utime: %w", err)
	}
	stime, err := strconv.ParseUint(string(fields[12]), 10, 64)
	if err != nil {
		return CPU{}, fmt.Errorf("stime: %w", err)
	}
	return CPU{User: ticks(utime), System: ticks(stime)}, nil
}

func ticks(n uint64) time.Duration {
	return time.Duration(n) * (time.Second / ClockTicks)
}
