package testfleet

import (
	"errors"
	"log/slog"
	"os"
)

// An ephemeral fleet belongs to the process that made it (a test binary).
// When that process dies without taking it down (a test timeout panics past
// every cleanup), DownOrphans finds the fleet by its dead owner and removes
// it. Fleets from `make fleet-up` are not ephemeral and stay.

// markOwner records the calling process as the fleet's owner.
func (f *Fleet) markOwner() {
	pid := os.Getpid()
	_, st, _ := procStat(pid)
	f.OwnerPID, f.OwnerStart = pid, st
}

// orphaned reports whether f is ephemeral and its owner is gone.
func (f *Fleet) orphaned() bool {
	return f.OwnerPID > 0 && !alive(f.OwnerPID, f.OwnerStart)
}

// DownOrphans takes down every ephemeral fleet whose owner has exited.
func DownOrphans(stateRoot string) error {
	if stateRoot == "" {
		stateRoot = DefaultStateRoot
	}
	names, err := List(stateRoot)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		f, err := Load(stateRoot, n)
		if err != nil || !f.orphaned() {
			continue
		}
		slog.Info("taking down a fleet whose owner exited", "fleet", n, "owner", f.OwnerPID)
		if err := f.Down(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
