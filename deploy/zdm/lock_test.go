package zdm

import (
	"context"
	"errors"
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
