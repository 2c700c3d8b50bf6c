package transport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/pkg/sftp"
)

// Stat reports file facts (Lstat over SFTP, owner names looked up on the host).
func (c *SSH) Stat(ctx context.Context, p string, become bool) (FileInfo, error) {
	sc, err := c.sftpFor(ctx, become)
	if err != nil {
		return FileInfo{}, err
	}
	fi, err := sc.Lstat(p)
	if err != nil {
		return FileInfo{}, c.fileErr("stat", p, err)
	}
	info := FileInfo{Size: fi.Size(), Mode: fi.Mode().Perm(), IsDir: fi.IsDir(), IsSymlink: fi.Mode()&os.ModeSymlink != 0}
	if info.IsSymlink {
		if info.LinkTarget, err = sc.ReadLink(p); err != nil {
			return FileInfo{}, c.fileErr("readlink", p, err)
		}
	}
	if st, ok := fi.Sys().(*sftp.FileStat); ok {
		info.Owner, info.Group, err = c.ownerNames(ctx, st.UID, st.GID)
		if err != nil {
			return FileInfo{}, err
		}
	}
	return info, nil
}

// ownerNames maps numeric ids to names via getent (one round trip, cached);
// an id without a name is reported as the number.
func (c *SSH) ownerNames(ctx context.Context, uid, gid uint32) (string, string, error) {
	uk, gk := fmt.Sprintf("u%d", uid), fmt.Sprintf("g%d", gid)
	c.mu.Lock()
	u, uok := c.names[uk]
	g, gok := c.names[gk]
	c.mu.Unlock()
	if uok && gok {
		return u, g, nil
	}
	cmd := fmt.Sprintf(`printf '%%s\n%%s\n' "$(getent passwd %d | cut -d: -f1)" "$(getent group %d | cut -d: -f1)"`, uid, gid)
	res, err := c.Exec(ctx, cmd, ExecOptions{})
	if err != nil {
		return "", "", err
	}
	lines := strings.Split(string(res.Stdout), "\n")
	u, g = strconv.FormatUint(uint64(uid), 10), strconv.FormatUint(uint64(gid), 10)
	if len(lines) >= 2 {
		if lines[0] != "" {
			u = lines[0]
		}
		if lines[1] != "" {
			g = lines[1]
		}
	}
	c.mu.Lock()
	c.names[uk], c.names[gk] = u, g
	c.mu.Unlock()
	return u, g, nil
}

// lookupID resolves a user (kind "u") or group (kind "g") name to its id on
// the host, cached. Numeric names are taken as ids.
func (c *SSH) lookupID(ctx context.Context, kind, name string) (int, error) {
	if n, err := strconv.Atoi(name); err == nil && n >= 0 {
		return n, nil
	}
	key := kind + name
	c.mu.Lock()
	id, ok := c.ids[key]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	cmd := "id -u -- " + shellQuote(name)
	what := "user"
	if kind == "g" {
		cmd = "getent group " + shellQuote(name) + " | cut -d: -f3"
		what = "group"
	}
	res, err := c.Exec(ctx, cmd, ExecOptions{})
	if err != nil {
		return 0, err
	}
	id, err = strconv.Atoi(strings.TrimSpace(string(res.Stdout)))
	if res.ExitCode != 0 || err != nil {
		return 0, fmt.Errorf("%s: no %s named %q on the host", c.name, what, name)
	}
	c.mu.Lock()
	c.ids[key] = id
	c.mu.Unlock()
	return id, nil
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}\b`)

// Checksum runs sha256sum on the host (one round trip); a missing file is
// exists=false.
func (c *SSH) Checksum(ctx context.Context, p string, become bool) (string, bool, error) {
	q := shellQuote(p)
	res, err := c.Exec(ctx, "[ -e "+q+" ] || exit 3; exec sha256sum < "+q, ExecOptions{Become: become})
	if err != nil {
		return "", false, err
	}
	switch {
	case res.ExitCode == 3:
		return "", false, nil
	case res.ExitCode != 0:
		return "", true, fmt.Errorf("%s: checksum %s: exit %d: %s", c.name, p, res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	sum := sha256Hex.Find(res.Stdout)
	if sum == nil {
		return "", true, fmt.Errorf("%s: checksum %s: unexpected sha256sum output %q", c.name, p, res.Stdout)
	}
	return string(sum), true, nil
}

// WriteFile uploads r to a temporary name next to path (created 0600), then
// fsyncs, chowns, chmods and renames it over path atomically.
func (c *SSH) WriteFile(ctx context.Context, p string, r io.Reader, opts FileOptions) (err error) {
	mode := opts.Mode
	if mode == 0 {
		mode = 0o644
	}
	sc, err := c.sftpFor(ctx, opts.Become)
	if err != nil {
		return err
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmp := path.Join(path.Dir(p), "."+path.Base(p)+".zdmctl-"+hex.EncodeToString(rnd[:]))
	f, err := sc.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return c.fileErr("write", p, err)
	}
	committed := false
	defer func() {
		if !committed {
			f.Close()
			_ = sc.Remove(tmp)
		}
	}()
	// Content may be secret: keep it private until the final mode is set.
	if err := sc.Chmod(tmp, 0o600); err != nil {
		return c.fileErr("chmod", tmp, err)
	}
	// ReadFrom (not io.Copy, which prefers r.WriteTo) pipelines the writes
	// when r's size is known.
	if _, err := f.ReadFrom(r); err != nil {
		return c.fileErr("write", tmp, err)
	}
	if _, ok := sc.HasExtension("fsync@openssh.com"); ok {
		if err := f.Sync(); err != nil {
			return c.fileErr("fsync", tmp, err)
		}
	} else if res, err := c.Exec(ctx, "sync -- "+shellQuote(tmp), ExecOptions{Become: opts.Become}); err != nil || res.ExitCode != 0 {
		return c.fileErr("fsync", tmp, fmt.Errorf("sync: %v %s", err, strings.TrimSpace(string(res.Stderr))))
	}
	if err := f.Close(); err != nil {
		return c.fileErr("write", tmp, err)
	}
	if opts.Owner != "" || opts.Group != "" {
		if err := c.chown(ctx, sc, tmp, opts.Owner, opts.Group); err != nil {
			return err
		}
	}
	if err := sc.Chmod(tmp, mode); err != nil {
		return c.fileErr("chmod", tmp, err)
	}
	if _, ok := sc.HasExtension("posix-rename@openssh.com"); ok {
		err = sc.PosixRename(tmp, p)
	} else {
		var res ExecResult
		res, err = c.Exec(ctx, "mv -f -- "+shellQuote(tmp)+" "+shellQuote(p), ExecOptions{Become: opts.Become})
		if err == nil && res.ExitCode != 0 {
			err = fmt.Errorf("mv: %s", strings.TrimSpace(string(res.Stderr)))
		}
	}
	if err != nil {
		return c.fileErr("rename into", p, err)
	}
	committed = true
	return nil
}

func (c *SSH) chown(ctx context.Context, sc *sftp.Client, p, owner, group string) error {
	fi, err := sc.Lstat(p)
	if err != nil {
		return c.fileErr("stat", p, err)
	}
	st, ok := fi.Sys().(*sftp.FileStat)
	if !ok {
		return fmt.Errorf("%s: chown %s: no ownership information", c.name, p)
	}
	uid, gid := int(st.UID), int(st.GID)
	if owner != "" {
		if uid, err = c.lookupID(ctx, "u", owner); err != nil {
			return err
		}
	}
	if group != "" {
		if gid, err = c.lookupID(ctx, "g", group); err != nil {
			return err
		}
	}
	if err := sc.Chown(p, uid, gid); err != nil {
		return c.fileErr(fmt.Sprintf("chown %s:%s", owner, group), p, err)
	}
	return nil
}
