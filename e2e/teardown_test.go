//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Package-level fixtures (shared by several tests, built at most once)
// register their teardown here; TestMain runs them after the last test, in
// reverse order. An interrupt (Ctrl-C, SIGTERM) runs them too before the
// binary exits.

var (
	teardownMu  sync.Mutex
	teardowns   []func() error
	signalsOnce sync.Once
)

func atPackageExit(fn func() error) {
	teardownMu.Lock()
	teardowns = append(teardowns, fn)
	teardownMu.Unlock()
	signalsOnce.Do(func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		go func() {
			sig := <-ch
			fmt.Fprintf(os.Stderr, "e2e: %v: tearing down shared fixtures\n", sig)
			runPackageTeardowns()
			os.Exit(130)
		}()
	})
}

func runPackageTeardowns() {
	teardownMu.Lock()
	fns := teardowns
	teardowns = nil
	teardownMu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		if err := fns[i](); err != nil {
			fmt.Fprintf(os.Stderr, "e2e teardown: %v\n", err)
		}
	}
}
