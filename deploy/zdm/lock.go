package zdm

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/zdmctl/zdmctl/deploy/transport"
)

// LockDir is the fleet lock on the first proxy host: a directory created
// atomically with mkdir, holding a file that names the holder.
const LockDir = StateDir + "/zdmctl.lock"

// ErrLocked is returned when another operator holds the fleet lock.
var ErrLocked = errors.New("fleet locked")

// LockHolder describes who holds the lock.
type LockHolder struct {
	Holder string // user@host
	PID    int
	Since  time.Time
	raw    string // the holder file's line, to break exactly this lock
}

// Machine is the host part of Holder (where the holding run ran).
func (h LockHolder) Machine() string {
	_, m, _ := strings.Cut(h.Holder, "@")
	return m
}

// LockedError names the holder of a lock that could not be taken.
type LockedError struct {
	Host   string
	Dir    string
	Holder LockHolder
	Age    time.Duration
	// Stale says why the holder is known to be gone ("" when it is not
	// known: it may still run). Set by JudgeStale.
	Stale string
	// RemoveHint is the command that removes the lock by hand (set by
	// the caller, who knows the login user; a generic one when empty).
	RemoveHint string
	// BreakHint is how to break a stale lock with zdmctl.
	BreakHint string
}

func (e *LockedError) Error() string {
	msg := fmt.Sprintf("fleet lock on %s (%s) held by %s pid %d for %s", e.Host, e.Dir, e.Holder.Holder, e.Holder.PID, e.Age.Round(time.Second))
	if e.Stale != "" {
		msg += "; the lock is STALE: " + e.Stale
		if e.BreakHint != "" {
			return msg + "; break it with: " + e.BreakHint
		}
	}
	hint := e.RemoveHint
	if hint == "" {
		hint = fmt.Sprintf("ssh %s sudo rm -rf %s", e.Host, e.Dir)
	}
	return msg + "; if that run is gone, remove it with: " + hint
}

// JudgeStale marks the lock stale when its holder ran on this machine
// (localHost) and its pid no longer runs here (alive reports whether a
// pid runs). A holder on another machine cannot be checked from here.
func (e *LockedError) JudgeStale(localHost string, alive func(pid int) bool) {
	if e.Holder.PID <= 0 || e.Holder.Machine() == "" || e.Holder.Machine() != localHost {
		return
	}
	if !alive(e.Holder.PID) {
		e.Stale = fmt.Sprintf("pid %d is not running on %s, where that run was", e.Holder.PID, localHost)
	}
}

// BreakLock removes the lock e names from conn's host, only if the holder
// file still says what e read (a lock taken again since is left alone).
func BreakLock(ctx context.Context, conn transport.Conn, e *LockedError) error {
	want := e.Holder.raw
	if want == "? 0 0" { // the lock directory had no holder file
		want = ""
	}
	script := fmt.Sprintf(`[ "$(cat %s/holder 2>/dev/null)" = %s ] && rm -rf %s && echo broken; true`, e.Dir, shellQuote(want), e.Dir)
	res, err := conn.Exec(ctx, script, transport.ExecOptions{Become: true})
	if err != nil {
		return fmt.Errorf("break the fleet lock on %s: %w", conn.Host(), err)
	}
	if strings.TrimSpace(string(res.Stdout)) != "broken" {
		return fmt.Errorf("break the fleet lock on %s: it changed hands meanwhile (not %s any more)", conn.Host(), e.Holder.raw)
	}
	return nil
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// Lock is a held fleet lock.
type Lock struct {
	conn  transport.Conn
	dir   string
	token string
}

// AcquireLock takes the fleet lock on conn's host, retrying until timeout
// (0: one attempt). holder is "user@host"; the pid and time are recorded.
func AcquireLock(ctx context.Context, conn transport.Conn, holder string, pid int, timeout time.Duration) (*Lock, error) {
	return acquireLock(ctx, conn, LockDir, holder, pid, timeout)
}

func acquireLock(ctx context.Context, conn transport.Conn, dir, holder string, pid int, timeout time.Duration) (*Lock, error) {
	token := fmt.Sprintf("%s %d %d", holder, pid, time.Now().Unix())
	script := fmt.Sprintf(`mkdir -p %s && if mkdir %s 2>/dev/null; then printf '%%s\n' %s > %s/holder; echo acquired; else cat %s/holder 2>/dev/null || echo '? 0 0'; fi`,
		filepath.Dir(dir), dir, shellQuote(token), dir, dir)
	deadline := time.Now().Add(timeout)
	for {
		res, err := conn.Exec(ctx, script, transport.ExecOptions{Become: true})
		if err != nil {
			return nil, fmt.Errorf("fleet lock on %s: %w", conn.Host(), err)
		}
		if res.ExitCode != 0 {
			return nil, fmt.Errorf("fleet lock on %s: %s", conn.Host(), firstLine(string(res.Stderr)))
		}
		out := strings.TrimSpace(string(res.Stdout))
		if out == "acquired" {
			return &Lock{conn: conn, dir: dir, token: token}, nil
		}
		h := parseHolder(out)
		if time.Now().After(deadline) {
			return nil, &LockedError{Host: conn.Host(), Dir: dir, Holder: h, Age: time.Since(h.Since)}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// Release removes the lock if it is still ours.
func (l *Lock) Release(ctx context.Context) error {
	script := fmt.Sprintf(`[ "$(cat %s/holder 2>/dev/null)" = %s ] && rm -rf %s; true`, l.dir, shellQuote(l.token), l.dir)
	_, err := l.conn.Exec(ctx, script, transport.ExecOptions{Become: true})
	return err
}

func parseHolder(s string) LockHolder {
	f := strings.Fields(s)
	h := LockHolder{raw: strings.TrimSpace(s)}
	if len(f) > 0 {
		h.Holder = f[0]
	}
	if len(f) > 1 {
		h.PID, _ = strconv.Atoi(f[1])
	}
	if len(f) > 2 {
		if sec, err := strconv.ParseInt(f[2], 10, 64); err == nil {
			h.Since = time.Unix(sec, 0)
		}
	}
	return h
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
