package testfleet

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// writeFileIn writes data to root/rel, replacing whatever is there without
// following a symlink (a rootfs may hold absolute symlinks that would point
// at this machine's files).
func writeFileIn(root, rel string, data []byte, mode os.FileMode, uid, gid int) error {
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("write %s: %w", p, err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := f.Chmod(mode); err != nil { // not subject to the umask
		f.Close()
		return fmt.Errorf("chmod %s: %w", p, err)
	}
	if err := f.Chown(uid, gid); err != nil {
		f.Close()
		return fmt.Errorf("chown %s: %w", p, err)
	}
	return f.Close()
}

// mkdirIn creates root/rel with mode and owner (the last component only).
func mkdirIn(root, rel string, mode os.FileMode, uid, gid int) error {
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(p, mode); err != nil {
		return fmt.Errorf("mkdir %s: %w", p, err)
	}
	if err := os.Chmod(p, mode); err != nil {
		return fmt.Errorf("chmod %s: %w", p, err)
	}
	if err := os.Lchown(p, uid, gid); err != nil {
		return fmt.Errorf("chown %s: %w", p, err)
	}
	return nil
}

type mountEntry struct {
	target string
	fstype string
	super  string // super options (overlay: lowerdir=...,upperdir=...)
}

// mounts lists this mount namespace's mounts.
func mounts() ([]mountEntry, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mountEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		a, b := strings.Fields(pre), strings.Fields(post)
		if len(a) < 5 || len(b) < 3 {
			continue
		}
		out = append(out, mountEntry{target: unescapeMount(a[4]), fstype: b[0], super: b[2]})
	}
	return out, sc.Err()
}

// unescapeMount undoes mountinfo's octal escapes (\040 for space, ...).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%o", &v); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func under(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")
}

// MountsUnder returns the mount points at or below dir, and overlay mounts
// that use a directory below dir as a layer.
func MountsUnder(dir string) ([]string, error) {
	dir = filepath.Clean(dir)
	ms, err := mounts()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		if under(m.target, dir) {
			out = append(out, m.target)
			continue
		}
		if m.fstype == "overlay" {
			for _, opt := range strings.Split(m.super, ",") {
				k, v, _ := strings.Cut(opt, "=")
				if k != "lowerdir" && k != "upperdir" && k != "workdir" {
					continue
				}
				for _, layer := range strings.Split(v, ":") {
					if under(layer, dir) {
						out = append(out, m.target)
					}
				}
			}
		}
	}
	return out, nil
}

// removeUnmounted deletes dir, refusing when anything is mounted in it or
// uses it as an overlay layer (deleting through a mount could reach files
// that are not ours).
func removeUnmounted(dir string) error {
	ms, err := MountsUnder(dir)
	if err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	if len(ms) > 0 {
		return fmt.Errorf("remove %s: still in use by mounts %s", dir, strings.Join(ms, ", "))
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}
