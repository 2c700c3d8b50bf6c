package zdm

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/deploy/transport"
)

// shellConn runs commands with the local sh (become ignored).
type shellConn struct{ transport.Conn }

func (shellConn) Host() string { return "p1" }
func (shellConn) Exec(ctx context.Context, cmd string, o transport.ExecOptions) (transport.ExecResult, error) {
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.Stdin = o.Stdin
	out, err := c.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return transport.ExecResult{Stdout: out, Stderr: ee.Stderr, ExitCode: ee.ExitCode()}, nil
	}
	return transport.ExecResult{Stdout: out}, err
}

func TestLockIsExclusiveAndReleased(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "zdmctl.lock")
	ctx := context.Background()
	a, err := acquireLock(ctx, shellConn{}, dir, "alice@ws", 11, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = acquireLock(ctx, shellConn{}, dir, "bob@ws", 22, 0)
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) || le.Holder.Holder != "alice@ws" || le.Holder.PID != 11 || le.Age > time.Minute {
		t.Fatalf("second lock: %v", err)
	}
	if !strings.Contains(err.Error(), "held by alice@ws pid 11") || !strings.Contains(err.Error(), "rm -rf "+dir) {
		t.Fatal(err)
	}
	// A release by someone else's token leaves the lock alone.
	other := &Lock{conn: shellConn{}, dir: dir, token: "bob@ws 22 0"}
	if err := other.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := acquireLock(ctx, shellConn{}, dir, "bob@ws", 22, 0); err == nil {
		t.Fatal("lock gone after a foreign release")
	}
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := acquireLock(ctx, shellConn{}, dir, "bob@ws", 22, 0)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	b.Release(ctx)
}

func TestLockWaitsForTimeout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "zdmctl.lock")
	ctx := context.Background()
	a, err := acquireLock(ctx, shellConn{}, dir, "alice@ws", 11, 0)
	if err != nil {
		t.Fatal(err)
	}
	go func() { time.Sleep(200 * time.Millisecond); a.Release(ctx) }()
	b, err := acquireLock(ctx, shellConn{}, dir, "bob@ws", 22, 30*time.Second)
	if err != nil {
		t.Fatalf("--lock-timeout did not wait: %v", err)
	}
	b.Release(ctx)
}

// A lock taken on this machine by a pid that is gone is stale, and
// breaking it removes exactly that lock.
func TestStaleLockIsNamedAndBroken(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "zdmctl.lock")
	ctx := context.Background()
	if _, err := acquireLock(ctx, shellConn{}, dir, "alice@ws", 4242, 0); err != nil {
		t.Fatal(err)
	}
	_, err := acquireLock(ctx, shellConn{}, dir, "bob@ws", 22, 0)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatal(err)
	}
	alive := func(pid int) bool { return pid != 4242 }
	le.JudgeStale("other-machine", alive)
	if le.Stale != "" {
		t.Fatalf("a holder on another machine judged stale: %s", le.Stale)
	}
	le.JudgeStale("ws", func(int) bool { return true })
	if le.Stale != "" {
		t.Fatal("a live holder judged stale")
	}
	le.JudgeStale("ws", alive)
	le.BreakHint = "zdmctl rolling-restart --break-lock"
	if !strings.Contains(le.Error(), "STALE: pid 4242 is not running on ws") || !strings.Contains(le.Error(), "--break-lock") {
		t.Fatal(le.Error())
	}
	// The lock changes hands before the break: left alone.
	other := *le
	other.Holder.raw = "carol@ws 7 0"
	if err := BreakLock(ctx, shellConn{}, &other); err == nil {
		t.Fatal("broke a lock it did not judge")
	}
	if err := BreakLock(ctx, shellConn{}, le); err != nil {
		t.Fatal(err)
	}
	l, err := acquireLock(ctx, shellConn{}, dir, "bob@ws", 22, 0)
	if err != nil {
		t.Fatalf("after the break: %v", err)
	}
	l.Release(ctx)
}

func TestRecordActionAppends(t *testing.T) {
	p := ActionsPath(filepath.Join(t.TempDir(), "inv.yaml"))
	for _, h := range []string{"p1", "p2"} {
		if err := RecordAction(p, Action{By: "me@ws", Command: "rolling-restart", Action: "break-lock", Host: h}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"host":"p1"`) || !strings.Contains(lines[1], `"action":"break-lock"`) {
		t.Fatalf("%s", b)
	}
}

func TestReadActionsRoundTrip(t *testing.T) {
	p := ActionsPath(filepath.Join(t.TempDir(), "inv.yaml"))
	if got, err := ReadActions(p); err != nil || len(got) != 0 {
		t.Fatalf("no journal yet: %v %v", got, err)
	}
	want := Action{By: "me@ws", Command: "rolling-update --primary-cluster TARGET", Action: ActionForceGate, Reason: "mismatches are a known clock skew",
		Checks: []Check{{Name: "async read mismatch rate over 15m", Value: "0.25", Want: "<= 0"}}}
	if err := RecordAction(p, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadActions(p)
	if err != nil || len(got) != 1 || got[0].Reason != want.Reason || len(got[0].Checks) != 1 || got[0].Checks[0].Value != "0.25" || got[0].Time.IsZero() {
		t.Fatalf("%+v %v", got, err)
	}
}
