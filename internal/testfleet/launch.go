package testfleet

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// launcher runs as its own session leader (setsid), closes every descriptor
// above 2 it inherited (trap 4: a container would otherwise hold our locks
// and pipes until it stops), moves itself into the host's cgroups (trap 1),
// then starts systemd-nspawn in the background, records its PID and exits.
// systemd-nspawn is therefore nobody's child here: it outlives the caller
// (go run, go test) and is reaped by init.
const launcher = `
cg1=$1 cg2=$2 pidfile=$3
shift 3
for p in /proc/$$/fd/*; do
	fd=${p##*/}
	case $fd in 0|1|2) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
done
if [ -n "$cg1" ]; then echo $$ > "$cg1/cgroup.procs" || exit 1; fi
if [ -n "$cg2" ]; then echo $$ > "$cg2/cgroup.procs" || exit 1; fi
"$@" </dev/null &
echo $! > "$pidfile.tmp" && mv "$pidfile.tmp" "$pidfile"
`

// nspawnArgs is the command line that boots one host.
func nspawnArgs(h Host, bridge, extraVeth string) []string {
	args := []string{
		"systemd-nspawn",
		"-D", h.Root,
		"-b",
		"--network-bridge=" + bridge,
		"--machine=" + h.Name,
		"--register=no", "--keep-unit", // no systemd on this machine
		"--console=passive",
		"--resolv-conf=off", "--timezone=off", "--link-journal=no",
	}
	if extraVeth != "" {
		args = append(args, "--network-veth-extra="+extraVeth+":"+bastionInnerIf)
	}
	return args
}

// bastionInnerIf is the bastion's interface into the internal bridge.
const bastionInnerIf = "priv0"

// launch starts systemd-nspawn for h and returns its PID and start time.
// Its output goes to h.Log.
func launch(ctx context.Context, h Host, args []string, cg1, cg2 string) (int, uint64, error) {
	for _, cg := range []string{cg1, cg2} {
		if cg == "" {
			continue
		}
		if err := os.MkdirAll(cg, 0o755); err != nil {
			return 0, 0, fmt.Errorf("cgroup for %s: %w", h.Name, err)
		}
	}
	logf, err := os.OpenFile(h.Log, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, 0, fmt.Errorf("log for %s: %w", h.Name, err)
	}
	defer logf.Close()
	pidfile := filepath.Join(h.Dir, "nspawn.pid")
	_ = os.Remove(pidfile)
	cmd := exec.CommandContext(ctx, "/bin/bash", append([]string{"-c", launcher, "testfleet-launch", cg1, cg2, pidfile}, args...)...)
	cmd.Stdin = nil // /dev/null
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("launch %s: %w%s", h.Name, err, tailOf(h.Log))
	}
	data, err := os.ReadFile(pidfile)
	if err != nil {
		return 0, 0, fmt.Errorf("launch %s: no pid: %w", h.Name, err)
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(data)))
	if err != nil {
		return 0, 0, fmt.Errorf("launch %s: bad pid %q", h.Name, data)
	}
	_, start, ok := procStat(pid)
	if !ok {
		return 0, 0, fmt.Errorf("launch %s: systemd-nspawn exited at once%s", h.Name, tailOf(h.Log))
	}
	return pid, start, nil
}

// shellQuote is for messages that show a command line.
func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " '\"$\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}
