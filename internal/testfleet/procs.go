package testfleet

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// procStat returns a process's state letter and start time (clock ticks
// since boot); ok is false when the process does not exist.
func procStat(pid int) (state byte, start uint64, ok bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, starttime field 22.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 {
		return 0, 0, false
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return f[0][0], start, true
}

// alive reports whether pid still runs and is the process started at start
// (0: any). Zombies count as dead.
func alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	st, s, ok := procStat(pid)
	if !ok || st == 'Z' || st == 'X' {
		return false
	}
	return start == 0 || s == start
}

// cmdline returns a process's argv.
func cmdline(pid int) []string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(data) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
}

// NspawnPIDs returns the live systemd-nspawn processes whose root directory
// (-D) is at or under dir.
func NspawnPIDs(dir string) []int {
	dir = filepath.Clean(dir)
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		args := cmdline(pid)
		if len(args) == 0 || filepath.Base(args[0]) != "systemd-nspawn" {
			continue
		}
		for i, a := range args {
			d := ""
			switch {
			case (a == "-D" || a == "--directory") && i+1 < len(args):
				d = args[i+1]
			case strings.HasPrefix(a, "--directory="):
				d = strings.TrimPrefix(a, "--directory=")
			}
			if d != "" && under(filepath.Clean(d), dir) && alive(pid, 0) {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}
