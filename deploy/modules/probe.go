package modules

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/zdmctl/zdmctl/deploy/transport"
)

// fileState is what one probe round trip learns about a path.
type fileState struct {
	Kind   string // absent, file, dir, link, other
	Mode   os.FileMode
	Owner  string
	Group  string
	Size   int64
	Sum    string // sha256 of a regular file
	Target string // symlink target
}

// probeScript prints: kind, then "mode owner group size", then the checksum or
// link target. Symlinks are not followed. Args: the path, the checksum
// cache dir and its minimum entry age in seconds (see sumCacheDir).
const probeScript = `p=%s c=%s age=%d min=%d
if [ -L "$p" ]; then echo link; stat -c '%%a %%U %%G %%s' -- "$p"; readlink -- "$p"
elif [ -d "$p" ]; then echo dir; stat -c '%%a %%U %%G %%s' -- "$p"
elif [ -f "$p" ]; then echo file; a=$(stat -c '%%a %%U %%G %%s|%%Z %%d %%i %%s %%y %%z' -- "$p")
  k=${a#*|} a=${a%%%%|*} e=; echo "$a"
  if [ "${a##* }" -ge "$min" ] && { [ -d "$c" ] || { [ "$age" -ge 0 ] && mkdir -p -m 700 "$c" 2>/dev/null; }; } && [ -O "$c" ]; then e=$c/$(printf '%%s' "$p" | sha256sum | cut -c1-64); fi
  if [ -n "$e" ] && [ -f "$e" ] && { read -r ek && read -r es; } < "$e" && [ "$ek" = "$k" ]; then echo "$es"
  else s=$(sha256sum -- "$p" | cut -d' ' -f1); echo "$s"
    if [ -n "$e" ] && [ -n "$s" ] && [ "$age" -ge 0 ] && [ $(( $(date +%%s) - ${k%%%% *} )) -ge "$age" ]; then
      { printf '%%s\n%%s\n' "$k" "$s" > "$e.$$" && mv -f "$e.$$" "$e"; } 2>/dev/null || rm -f "$e.$$"; fi; fi
elif [ -e "$p" ]; then echo other; stat -c '%%a %%U %%G %%s' -- "$p"
else echo absent; fi`

// The probe caches checksums of regular files on the host, so an
// idempotent run does not re-hash large files (a 25 MB binary costs ~0.1-0.25
// s of host CPU per run). An entry holds the file's stat key (ctime, device,
// inode, size, mtime and ctime with nanoseconds) and its sha256, under
// sumCacheDir/sha256(path); it is used only when the key is unchanged. Any
// write, rename-over, chmod or chown changes the ctime, which only the
// kernel sets. Entries are recorded only for files whose ctime is at least
// sumCacheMinAge seconds old, so a write within the same timestamp tick as
// the hashing can never hide behind an unchanged key (git's "racy clean").
// The cache is used only when the directory can be created and is owned by
// the probing user: root (or become) on a normal host; other users hash
// every time. In check mode the cache is read but never written.
// Files smaller than sumCacheMinSize are simply hashed: that is cheaper
// than the cache lookup.
var (
	sumCacheDir     = "/var/cache/zdmctl/sums"
	sumCacheMinAge  = 2
	sumCacheMinSize = 256 << 10
)

// probe learns a path's kind, mode, owner, group and checksum in one Exec.
func (e *Env) probe(ctx context.Context, path string) (fileState, error) {
	st, _, err := e.probeWith(ctx, path, "")
	return st, err
}

// probeSep separates the probe's output from an extra command's.
const probeSep = "---zdmctl-probe-end---"

// probeWith probes path and, in the same round trip, runs extra (a shell
// snippet) whose stdout it returns.
func (e *Env) probeWith(ctx context.Context, path, extra string) (fileState, string, error) {
	age := sumCacheMinAge
	if e.Check {
		age = -1 // read the cache, record nothing
	}
	cmd := fmt.Sprintf(probeScript, transport.ShellQuote(path), transport.ShellQuote(sumCacheDir), age, sumCacheMinSize)
	if extra != "" {
		cmd += "\necho " + probeSep + "\n" + extra
	}
	res, err := e.exec(ctx, cmd)
	if err != nil {
		return fileState{}, "", fmt.Errorf("inspect %s: %w", path, err)
	}
	if res.ExitCode != 0 {
		return fileState{}, "", fmt.Errorf("inspect %s: exit %d: %s", path, res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	out, rest := string(res.Stdout), ""
	if extra != "" {
		var ok bool
		out, rest, ok = strings.Cut(out, probeSep+"\n")
		if !ok {
			return fileState{}, "", fmt.Errorf("inspect %s: unexpected output %q", path, res.Stdout)
		}
	}
	st, err := parseProbe(path, out)
	return st, rest, err
}

func parseProbe(path, out string) (fileState, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	st := fileState{Kind: lines[0]}
	if st.Kind == "absent" {
		return st, nil
	}
	if len(lines) < 2 {
		return st, fmt.Errorf("inspect %s: unexpected output %q", path, out)
	}
	f := strings.Fields(lines[1])
	if len(f) == 4 {
		m, _ := strconv.ParseUint(f[0], 8, 32)
		st.Mode, st.Owner, st.Group = os.FileMode(m), f[1], f[2]
		st.Size, _ = strconv.ParseInt(f[3], 10, 64)
	}
	if len(lines) > 2 {
		if st.Kind == "link" {
			st.Target = lines[2]
		} else {
			st.Sum = lines[2]
		}
	}
	return st, nil
}

// fileAttrs are the wanted mode/owner/group; unset fields are left alone.
type fileAttrs struct {
	Mode    os.FileMode
	ModeSet bool
	Owner   string
	Group   string
}

func attrsFrom(a Args) (fileAttrs, error) {
	m, set, err := a.Mode("mode")
	if err != nil {
		return fileAttrs{}, err
	}
	owner, err := a.String("owner")
	if err != nil {
		return fileAttrs{}, err
	}
	group, err := a.String("group")
	if err != nil {
		return fileAttrs{}, err
	}
	return fileAttrs{Mode: m, ModeSet: set, Owner: owner, Group: group}, nil
}

// attrCommands returns the chmod/chown commands that bring st to want.
func attrCommands(path string, st fileState, want fileAttrs) []string {
	q := transport.ShellQuote(path)
	var cmds []string
	if want.ModeSet && st.Mode != want.Mode {
		cmds = append(cmds, fmt.Sprintf("chmod %04o -- %s", uint32(want.Mode), q))
	}
	owner := ""
	if want.Owner != "" && want.Owner != st.Owner {
		owner = want.Owner
	}
	group := ""
	if want.Group != "" && want.Group != st.Group {
		group = want.Group
	}
	switch {
	case owner != "" && group != "":
		cmds = append(cmds, fmt.Sprintf("chown %s:%s -- %s", transport.ShellQuote(owner), transport.ShellQuote(group), q))
	case owner != "":
		cmds = append(cmds, fmt.Sprintf("chown %s -- %s", transport.ShellQuote(owner), q))
	case group != "":
		cmds = append(cmds, fmt.Sprintf("chgrp %s -- %s", transport.ShellQuote(group), q))
	}
	return cmds
}

// runAll runs commands joined with && in one Exec.
func (e *Env) runAll(ctx context.Context, cmds []string) error {
	if len(cmds) == 0 {
		return nil
	}
	res, err := e.exec(ctx, strings.Join(cmds, " && "))
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("exit %d: %s", res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	return nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// putFile makes dest hold content with attrs: one probe, then an upload only
// when the checksum differs, or a chmod/chown when only attributes differ.
func (e *Env) putFile(ctx context.Context, dest string, content []byte, want fileAttrs) Result {
	st, err := e.probe(ctx, dest)
	if err != nil {
		return Fail(err)
	}
	return e.putFileState(ctx, dest, st, content, want)
}

// putFileState is putFile with the probe already done.
func (e *Env) putFileState(ctx context.Context, dest string, st fileState, content []byte, want fileAttrs) Result {
	var err error
	switch st.Kind {
	case "absent", "file":
	default:
		return Failf("%s exists and is a %s, not a file", dest, st.Kind)
	}
	sum := contentSum(content)
	needWrite := st.Kind == "absent" || st.Sum != sum
	attrCmds := attrCommands(dest, st, want)
	if st.Kind == "absent" {
		attrCmds = nil
	}
	res := Result{Changed: needWrite || len(attrCmds) > 0, Data: map[string]any{"dest": dest, "checksum": sum}}
	if needWrite && e.Diff && (!diffable(content) || st.Size > maxDiffBytes) {
		res.Diff = fmt.Sprintf("--- %s (before)\n+++ %s (after)\n@@ binary or large file: %d bytes before, %d after @@\n", dest, dest, st.Size, len(content))
	} else if needWrite && e.Diff {
		var old []byte
		if st.Kind == "file" {
			old, err = e.Conn.ReadFile(ctx, dest, e.Become)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return Fail(fmt.Errorf("read %s for diff: %w", dest, err))
			}
		}
		res.Diff = e.fileDiff(dest, old, content)
	}
	if e.Check || !res.Changed {
		return res
	}
	if needWrite {
		mode := want.Mode
		if !want.ModeSet {
			mode = 0o644
			if st.Kind == "file" {
				mode = st.Mode
			}
		}
		opts := transport.FileOptions{Mode: mode, Owner: want.Owner, Group: want.Group, Become: e.Become}
		if err := e.Conn.WriteFile(ctx, dest, bytes.NewReader(content), opts); err != nil {
			return Fail(fmt.Errorf("upload %s to %s: %w", dest, e.Conn.Host(), err))
		}
		return res
	}
	if err := e.runAll(ctx, attrCmds); err != nil {
		return Fail(fmt.Errorf("set attributes of %s: %w", dest, err))
	}
	return res
}

// readLocal reads a controller-side file, relative to the playbook dir.
func (e *Env) readLocal(path string) ([]byte, error) {
	if e.Files != nil {
		return e.Files(path)
	}
	if !strings.HasPrefix(path, "/") && e.BaseDir != "" {
		path = e.BaseDir + "/" + path
	}
	return os.ReadFile(path)
}

// maxDiffBytes is the largest file diffed; bigger ones get a summary.
const maxDiffBytes = 1 << 20

// diffable reports whether content is small text.
func diffable(b []byte) bool {
	return len(b) <= maxDiffBytes && !bytes.ContainsRune(b, 0)
}
