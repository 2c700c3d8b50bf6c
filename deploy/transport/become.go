package transport

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// needSudo reports whether a command for loginUser must go through sudo.
// Like Local, a root login becoming root (or a user becoming itself) runs
// directly: sudo may not even be installed there.
func needSudo(loginUser string, become bool, becomeUser string) bool {
	if !become {
		return false
	}
	target := becomeUser
	if target == "" {
		target = "root"
	}
	return target != loginUser
}

// sudoPrefix is the argv prefix for become, ending in "--".
func sudoPrefix(becomeUser string) string {
	if becomeUser == "" || becomeUser == "root" {
		return "sudo -n --"
	}
	return "sudo -n -u " + shellQuote(becomeUser) + " --"
}

// buildCommand returns the command line sent to the server for cmd: always
// `sh -c 'cmd'` (whatever the login shell is), behind `sudo -n` for become.
// opts.Env never goes on the command line (values may be secret, and argv is
// visible in ps): the script first reads one line per variable from stdin,
// and the returned preamble holds those lines, to be sent ahead of the
// command's own stdin.
func buildCommand(loginUser, cmd string, opts ExecOptions) (line string, preamble []byte, err error) {
	script := cmd
	if len(opts.Env) > 0 {
		keys := make([]string, 0, len(opts.Env))
		for k, v := range opts.Env {
			if !validEnvName(k) {
				return "", nil, fmt.Errorf("invalid environment variable name %q", k)
			}
			if strings.ContainsAny(v, "\n\x00") {
				return "", nil, fmt.Errorf("environment variable %s: value holds a newline or NUL", k)
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			// The read builtin takes one byte at a time from a pipe, so the
			// command still gets the rest of stdin untouched.
			fmt.Fprintf(&b, "IFS= read -r %s || exit 125\n", k)
			preamble = append(preamble, opts.Env[k]+"\n"...)
		}
		fmt.Fprintf(&b, "export %s\n", strings.Join(keys, " "))
		script = b.String() + cmd
	}
	line = "sh -c " + shellQuote(script)
	if needSudo(loginUser, opts.Become, opts.BecomeUser) {
		line = sudoPrefix(opts.BecomeUser) + " " + line
	}
	return line, preamble, nil
}

func validEnvName(k string) bool {
	if k == "" {
		return false
	}
	for i, c := range k {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || (i > 0 && c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

// sudoRefusals are sudo's messages when -n cannot proceed or the user has no
// right (sudo 1.8/1.9, C locale).
var sudoRefusals = []string{
	"a password is required",
	"a terminal is required",
	"no tty present",
	"you must have a tty",
	"is not in the sudoers file",
	"is not allowed to execute",
	"may not run sudo",
	"is not allowed to run sudo",
}

// sudoDenied inspects a failed become command: sudo exits 1 and writes
// "sudo: ..." when it refuses; a shell reports 127 when sudo is missing.
func sudoDenied(exitCode int, stderr []byte) (string, bool) {
	if exitCode == 127 && bytes.Contains(stderr, []byte("sudo")) && bytes.Contains(stderr, []byte("not found")) {
		return "sudo is not installed", true
	}
	if exitCode != 1 {
		return "", false
	}
	for _, line := range strings.Split(string(stderr), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "sudo:") && !strings.HasPrefix(line, "Sorry, user ") && !strings.Contains(line, "sudoers") {
			continue
		}
		for _, r := range sudoRefusals {
			if strings.Contains(line, r) {
				return line, true
			}
		}
	}
	return "", false
}
