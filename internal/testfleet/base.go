package testfleet

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The base rootfs lives in two cached directories:
//   - <cache>.raw: the plain debootstrap result (slow: about 80 s), marked
//     done by rawMarker;
//   - <cache>: a copy of it with the test-fleet customization, marked by
//     baseMarker holding baseRecipe. A recipe change only re-copies.
//
// A lock file next to them keeps two callers from building at once. Markers
// are written last, so a crash mid-build leaves no marker and the next
// caller starts over.
const (
	rawMarker  = ".zdmctl-testfleet-debootstrap-ok"
	baseMarker = ".zdmctl-testfleet-base-ok"
	// basePackages go on top of minbase.
	basePackages = "systemd,systemd-sysv,openssh-server,dbus,iproute2,sudo"
)

// EnsureBase makes sure the cached base rootfs at cacheDir exists and is
// current, building it if not. mirror may be empty (see DebianMirror).
func EnsureBase(ctx context.Context, cacheDir, mirror string) error {
	cacheDir = filepath.Clean(cacheDir)
	if baseReady(cacheDir) {
		return nil
	}
	lock, err := lockFile(ctx, cacheDir+".lock")
	if err != nil {
		return err
	}
	defer lock.unlock()
	if baseReady(cacheDir) { // built by another caller while we waited
		return nil
	}
	raw := cacheDir + ".raw"
	if !markerIs(raw, rawMarker, "ok\n") {
		if err := debootstrap(ctx, raw, mirror); err != nil {
			return err
		}
	}
	return customizeFromRaw(ctx, raw, cacheDir)
}

func baseReady(cacheDir string) bool { return markerIs(cacheDir, baseMarker, baseRecipe+"\n") }

func markerIs(dir, name, want string) bool {
	got, err := os.ReadFile(filepath.Join(dir, name))
	return err == nil && string(got) == want
}

// debootstrap builds the raw rootfs into dir (replacing any partial one).
func debootstrap(ctx context.Context, dir, mirror string) error {
	if mirror == "" {
		m, err := DebianMirror()
		if err != nil {
			return err
		}
		mirror = m
	}
	if err := removeUnmounted(dir); err != nil {
		return err
	}
	logPath := dir + ".log"
	logf, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("debootstrap log: %w", err)
	}
	defer logf.Close()
	slog.Info("building the test-fleet base rootfs (about 80 s, once)", "dir", dir, "mirror", mirror, "log", logPath)
	start := time.Now()
	cmd := exec.CommandContext(ctx, "debootstrap", "--variant=minbase",
		"--include="+basePackages, "bookworm", dir, mirror)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C")
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("debootstrap bookworm into %s from %s: %w (log: %s%s)", dir, mirror, err, logPath, tailOf(logPath))
	}
	slog.Info("debootstrap done", "dir", dir, "took", time.Since(start).Round(time.Millisecond))
	return writeMarker(dir, rawMarker, "ok\n")
}

// customizeFromRaw copies raw to cacheDir and applies the recipe.
func customizeFromRaw(ctx context.Context, raw, cacheDir string) error {
	start := time.Now()
	partial := cacheDir + ".partial"
	if err := removeUnmounted(partial); err != nil {
		return err
	}
	if out, err := exec.CommandContext(ctx, "cp", "-a", "--reflink=auto", raw, partial).CombinedOutput(); err != nil {
		return fmt.Errorf("copy %s to %s: %w: %s", raw, partial, err, bytes.TrimSpace(out))
	}
	if err := customizeBase(ctx, partial); err != nil {
		return fmt.Errorf("customize base %s: %w", partial, err)
	}
	if _, err := os.Stat(cacheDir); err == nil {
		// An outdated base: move it aside. A running fleet may still use
		// it as its lower dir, and mountinfo names layers by the path they
		// were mounted with, which a rename does not update: so old bases
		// are only deleted while no overlay uses anything in the cache.
		old := fmt.Sprintf("%s.old-%d", cacheDir, time.Now().UnixNano())
		if err := os.Rename(cacheDir, old); err != nil {
			return fmt.Errorf("move old base aside: %w", err)
		}
	}
	if users, err := MountsUnder(filepath.Dir(cacheDir)); err == nil && len(users) == 0 {
		olds, _ := filepath.Glob(cacheDir + ".old-*")
		for _, old := range olds {
			if err := removeUnmounted(old); err != nil {
				slog.Warn("could not remove an old base", "dir", old, "err", err)
			}
		}
	}
	if err := os.Rename(partial, cacheDir); err != nil {
		return fmt.Errorf("install base %s: %w", cacheDir, err)
	}
	if err := writeMarker(cacheDir, baseMarker, baseRecipe+"\n"); err != nil {
		return err
	}
	slog.Info("base rootfs ready", "dir", cacheDir, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// customizeBase applies everything all hosts share.
func customizeBase(ctx context.Context, root string) error {
	// Host keys come per host (hostfiles.go); the package-made ones would
	// be shared by every host.
	keys, _ := filepath.Glob(filepath.Join(root, "etc/ssh/ssh_host_*"))
	for _, k := range keys {
		if err := os.Remove(k); err != nil {
			return err
		}
	}
	files := []struct {
		path string
		data string
		mode os.FileMode
	}{
		{"etc/ssh/sshd_config.d/zdmctl-testfleet.conf", sshdConfig, 0o644},
		{"etc/resolv.conf", resolvConf, 0o644},
		{"etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", 0o644},
		{"etc/machine-id", "", 0o444},
		{"usr/local/sbin/testfleet-net", netScript, 0o755},
		{"etc/systemd/system/testfleet-net.service", netUnit, 0o644},
	}
	for _, f := range files {
		if err := writeFileIn(root, f.path, []byte(f.data), f.mode, 0, 0); err != nil {
			return err
		}
	}
	_ = os.Remove(filepath.Join(root, "etc/hostname"))
	links := map[string]string{
		"etc/systemd/system/multi-user.target.wants/testfleet-net.service": "/etc/systemd/system/testfleet-net.service",
	}
	for _, u := range maskedUnits {
		links["etc/systemd/system/"+u] = "/dev/null"
	}
	for name, target := range links {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		_ = os.Remove(p)
		if err := os.Symlink(target, p); err != nil {
			return err
		}
	}
	// The sudo host's user; its key and sudo rule are per host.
	for _, args := range [][]string{
		{"useradd", "--create-home", "--shell", "/bin/bash", "--user-group", SudoUser},
		{"usermod", "--password", "*", SudoUser}, // no password, not "locked"
	} {
		cmd := exec.CommandContext(ctx, "chroot", append([]string{root}, args...)...)
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("chroot %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
	}
	for _, pat := range []string{"var/cache/apt/archives/*.deb", "var/lib/apt/lists/*_*", "var/log/*.log"} {
		m, _ := filepath.Glob(filepath.Join(root, pat))
		for _, p := range m {
			_ = os.Remove(p)
		}
	}
	return nil
}

func writeMarker(dir, name, content string) error {
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		return fmt.Errorf("write marker %s: %w", p, err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return fmt.Errorf("write marker %s: %w", p, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write marker %s: %w", p, err)
	}
	return f.Close()
}

// tailOf returns the last lines of a log file, for error messages.
func tailOf(path string) string {
	data, err := os.ReadFile(path)
	if err != nil || len(data) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return "; last lines:\n" + strings.Join(lines, "\n")
}
