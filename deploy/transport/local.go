package transport

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// Local runs everything on this machine, without SSH. Become is honoured
// through `sudo -n` only when the current user is not root.
type Local struct {
	name string
}

// NewLocal returns a Conn for this machine, named name in reports.
func NewLocal(name string) *Local { return &Local{name: name} }

func (l *Local) Host() string { return l.name }

func (l *Local) needSudo(become bool) bool { return become && os.Geteuid() != 0 }

func (l *Local) Exec(ctx context.Context, cmdline string, opts ExecOptions) (ExecResult, error) {
	args := []string{"sh", "-c", cmdline}
	if l.needSudo(opts.Become) || (opts.Become && opts.BecomeUser != "" && opts.BecomeUser != "root") {
		pre := []string{"sudo", "-n"}
		if opts.BecomeUser != "" {
			pre = append(pre, "-u", opts.BecomeUser)
		}
		args = append(pre, args...)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &stdout, &stderr, opts.Stdin
	cmd.Env = os.Environ()
	for k, v := range opts.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	err := cmd.Run()
	res := ExecResult{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		res.ExitCode = exitErr.ExitCode()
		if args[0] == "sudo" && bytes.Contains(res.Stderr, []byte("a password is required")) {
			return res, fmt.Errorf("%s: %w", l.name, ErrBecomeDenied)
		}
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("%s: run command: %w", l.name, err)
	}
	return res, nil
}

func (l *Local) ReadFile(ctx context.Context, path string, become bool) ([]byte, error) {
	if l.needSudo(become) {
		res, err := l.Exec(ctx, "cat -- "+shellQuote(path), ExecOptions{Become: true})
		if err != nil {
			return nil, err
		}
		if res.ExitCode != 0 {
			return nil, fmt.Errorf("read %s: %w", path, os.ErrNotExist)
		}
		return res.Stdout, nil
	}
	return os.ReadFile(path)
}

func (l *Local) Stat(_ context.Context, path string, _ bool) (FileInfo, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return FileInfo{}, err
	}
	info := FileInfo{Size: fi.Size(), Mode: fi.Mode().Perm(), IsDir: fi.IsDir(), IsSymlink: fi.Mode()&os.ModeSymlink != 0}
	if info.IsSymlink {
		info.LinkTarget, _ = os.Readlink(path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if u, err := user.LookupId(strconv.Itoa(int(st.Uid))); err == nil {
			info.Owner = u.Username
		}
		if g, err := user.LookupGroupId(strconv.Itoa(int(st.Gid))); err == nil {
			info.Group = g.Name
		}
	}
	return info, nil
}

func (l *Local) Checksum(ctx context.Context, path string, become bool) (string, bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", true, fmt.Errorf("checksum %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), true, nil
}

func (l *Local) WriteFile(_ context.Context, path string, r io.Reader, opts FileOptions) error {
	mode := opts.Mode
	if mode == 0 {
		mode = 0o644
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".zdmctl-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, r); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	if opts.Owner != "" || opts.Group != "" {
		uid, gid := -1, -1
		if opts.Owner != "" {
			u, err := user.Lookup(opts.Owner)
			if err != nil {
				return fmt.Errorf("chown %s: %w", path, err)
			}
			uid, _ = strconv.Atoi(u.Uid)
		}
		if opts.Group != "" {
			g, err := user.LookupGroup(opts.Group)
			if err != nil {
				return fmt.Errorf("chown %s: %w", path, err)
			}
			gid, _ = strconv.Atoi(g.Gid)
		}
		if err := tmp.Chown(uid, gid); err != nil {
			return fmt.Errorf("chown %s: %w", path, err)
		}
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename into %s: %w", path, err)
	}
	ok = true
	return nil
}

func (l *Local) Close() error { return nil }

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, `'\''`...)
		} else {
			out = append(out, s[i])
		}
	}
	return string(append(out, '\''))
}

// ShellQuote quotes s for a POSIX shell (for modules building commands).
func ShellQuote(s string) string { return shellQuote(s) }
