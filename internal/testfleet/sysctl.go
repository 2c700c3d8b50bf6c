package testfleet

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Trap 3: each container uses about 8 inotify instances and the default
// limit of 128 per user allows about 15 containers. Up raises the limit for
// bigger fleets; the original value is kept in <stateRoot>/inotify.orig and
// restored by the Down that leaves no fleet behind.

const inotifySysctl = "/proc/sys/fs/inotify/max_user_instances"

func readIntFile(p string) (int, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(data)))
}

// inotifyWanted is the limit a machine running hosts containers needs.
func inotifyWanted(hosts int) int { return 128 + 16*hosts }

// raiseInotify raises the limit to fit hosts more containers on top of the
// ones already running. Called with the state-root lock held.
func raiseInotify(stateRoot string, hosts int) (bool, error) {
	cur, err := readIntFile(inotifySysctl)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", inotifySysctl, err)
	}
	running := len(NspawnPIDs("/")) // every container here, ours or not
	want := inotifyWanted(running + hosts)
	if cur >= want {
		return false, nil
	}
	orig := filepath.Join(stateRoot, "inotify.orig")
	if _, err := os.Stat(orig); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(orig, []byte(strconv.Itoa(cur)+"\n"), 0o644); err != nil {
			return false, fmt.Errorf("remember inotify limit: %w", err)
		}
	}
	if err := os.WriteFile(inotifySysctl, []byte(strconv.Itoa(want)+"\n"), 0o644); err != nil {
		return false, fmt.Errorf("raise %s to %d: %w", inotifySysctl, want, err)
	}
	slog.Debug("raised inotify instance limit", "from", cur, "to", want)
	return true, nil
}

// restoreInotify puts the original limit back when no fleet is left.
// Called with the state-root lock held.
func restoreInotify(stateRoot string) error {
	orig := filepath.Join(stateRoot, "inotify.orig")
	v, err := readIntFile(orig)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", orig, err)
	}
	if names, _ := List(stateRoot); len(names) > 0 {
		return nil // another fleet still runs; its Down restores
	}
	if err := os.WriteFile(inotifySysctl, []byte(strconv.Itoa(v)+"\n"), 0o644); err != nil {
		return fmt.Errorf("restore %s to %d: %w", inotifySysctl, v, err)
	}
	return os.Remove(orig)
}
