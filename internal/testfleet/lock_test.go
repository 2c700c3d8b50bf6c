package testfleet

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestLockFileExcludes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.lock")
	first, err := lockFile(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	// A second taker waits, and gives up when its context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := lockFile(ctx, p); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock while held: got %v, want a deadline error", err)
	}
	// Once released, the waiting taker gets it.
	got := make(chan error, 1)
	go func() {
		l, err := lockFile(context.Background(), p)
		if err == nil {
			l.unlock()
		}
		got <- err
	}()
	first.unlock()
	if err := <-got; err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	first.unlock() // twice is harmless
}
