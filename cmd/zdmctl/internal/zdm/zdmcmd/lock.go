package zdmcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// AddBreakLockFlag declares --break-lock.
func AddBreakLockFlag(cmd *cobra.Command, v *bool) {
	cmd.Flags().BoolVar(v, "break-lock", false, "remove a stale fleet lock (its run ran on this machine and its pid is gone) first; recorded in the journal of actions")
}

// pidAlive reports whether pid runs on this machine.
func pidAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// explainLock says whether le is stale and how to remove it: the hint
// logs in as the inventory does and uses sudo only when that login is not
// root.
func (r *Rollout) explainLock(ctx context.Context, conn transport.Conn, le *zdm.LockedError) {
	local, _ := os.Hostname()
	le.JudgeStale(local, pidAlive)
	login := ""
	if res, err := conn.Exec(ctx, "id -un", transport.ExecOptions{}); err == nil && res.ExitCode == 0 {
		login = strings.TrimSpace(string(res.Stdout))
	}
	le.RemoveHint = SSHHint(r.Env.Fleet.Proxies[0], login, "rm -rf "+le.Dir)
	le.BreakHint = fmt.Sprintf("zdmctl -i %s %s --break-lock", r.Env.Path, r.Command)
}

// breakLock removes the stale lock le, records it in the journal of
// actions, and takes the lock.
func (r *Rollout) breakLock(ctx context.Context, conn transport.Conn, le *zdm.LockedError) (*zdm.Lock, error) {
	e := r.Env
	if err := zdm.BreakLock(ctx, conn, le); err != nil {
		return nil, err
	}
	detail := fmt.Sprintf("removed %s held by %s pid %d since %s: %s", le.Dir, le.Holder.Holder, le.Holder.PID, le.Holder.Since.UTC().Format("2006-01-02 15:04:05Z"), le.Stale)
	fmt.Fprintf(e.F.IO.ErrOut, "--break-lock: %s\n", detail)
	apath := zdm.ActionsPath(e.Path)
	if err := zdm.RecordAction(apath, zdm.Action{By: holder(), Command: r.Command, Action: zdm.ActionBreakLock, Host: conn.Host(), Detail: detail}); err != nil {
		fmt.Fprintf(e.F.IO.ErrOut, "warning: %v\n", err)
	}
	return zdm.AcquireLock(ctx, conn, holder(), os.Getpid(), 0)
}
