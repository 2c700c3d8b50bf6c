package transport

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

func sshConn(t *testing.T) (*env, Conn) {
	t.Helper()
	e := newEnv(t)
	c, err := dial(t, e.host(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	return e, c
}

// peekReader checks the target while the upload is in flight.
type peekReader struct {
	data  []byte
	peek  func()
	done  bool
	count int
}

func (r *peekReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		if !r.done {
			r.done = true
			r.peek()
		}
		return 0, io.EOF
	}
	n := copy(p, r.data[:min(len(r.data), 1000)])
	r.data = r.data[n:]
	return n, nil
}

func TestWriteFileAtomic(t *testing.T) {
	_, c := sshConn(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "proxy.env")
	if err := os.WriteFile(path, []byte("old content\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	payload := []byte(strings.Repeat("new content line\n", 5000))
	var sawTemp string
	r := &peekReader{data: payload, peek: func() {
		// Everything is uploaded but not committed: the target is intact and
		// the data sits in a private temporary file in the same directory.
		if got, _ := os.ReadFile(path); string(got) != "old content\n" {
			t.Errorf("target changed before rename: %d bytes", len(got))
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".proxy.env.zdmctl-") {
				sawTemp = e.Name()
				fi, _ := e.Info()
				if fi.Mode().Perm() != 0o600 {
					t.Errorf("temp file mode %v, want 0600 while writing", fi.Mode().Perm())
				}
			}
		}
	}}
	if err := c.WriteFile(context.Background(), path, r, FileOptions{Mode: 0o640}); err != nil {
		t.Fatal(err)
	}
	if sawTemp == "" {
		t.Fatal("no temporary file seen during the upload")
	}
	got, _ := os.ReadFile(path)
	if string(got) != string(payload) {
		t.Fatalf("content: %d bytes, want %d", len(got), len(payload))
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	assertOnly(t, dir, "proxy.env")

	// Default mode 0644 for new files.
	p2 := filepath.Join(dir, "new")
	if err := c.WriteFile(context.Background(), p2, strings.NewReader(""), FileOptions{}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p2); fi.Mode().Perm() != 0o644 || fi.Size() != 0 {
		t.Fatalf("new file %v %d", fi.Mode(), fi.Size())
	}
}

func TestWriteFileFailureLeavesTargetAlone(t *testing.T) {
	_, c := sshConn(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	os.WriteFile(path, []byte("keep"), 0o644)
	boom := errors.New("source broke")
	err := c.WriteFile(context.Background(), path, io.MultiReader(strings.NewReader("partial"), errReader{boom}), FileOptions{})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "keep" {
		t.Fatalf("target = %q", got)
	}
	assertOnly(t, dir, "f")
	// Missing directory: an error, nothing created.
	if err := c.WriteFile(context.Background(), filepath.Join(dir, "nodir", "x"), strings.NewReader("x"), FileOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing dir: %v", err)
	}
}

func TestWriteFileOwner(t *testing.T) {
	_, c := sshConn(t)
	u, err := user.Current()
	if err != nil {
		t.Skip(err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Skip(err)
	}
	path := filepath.Join(t.TempDir(), "owned")
	if err := c.WriteFile(context.Background(), path, strings.NewReader("x"), FileOptions{Owner: u.Username, Group: g.Name, Mode: 0o600}); err != nil {
		t.Fatal(err)
	}
	fi, err := c.Stat(context.Background(), path, false)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Owner != u.Username || fi.Group != g.Name || fi.Mode != 0o600 {
		t.Fatalf("stat %+v", fi)
	}
	err = c.WriteFile(context.Background(), path, strings.NewReader("y"), FileOptions{Owner: "no-such-user-zdm"})
	if err == nil || !strings.Contains(err.Error(), `no user named "no-such-user-zdm"`) {
		t.Fatalf("err = %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "x" {
		t.Fatalf("content %q after failed chown", got)
	}
}

func TestChecksumStatReadFile(t *testing.T) {
	_, c := sshConn(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "it's a file")
	content := []byte("checksum me\n")
	os.WriteFile(path, content, 0o604)
	os.Symlink("it's a file", filepath.Join(dir, "link"))
	ctx := context.Background()

	sum, exists, err := c.Checksum(ctx, path, false)
	want := sha256.Sum256(content)
	if err != nil || !exists || sum != hex.EncodeToString(want[:]) {
		t.Fatalf("checksum %q %v %v", sum, exists, err)
	}
	if sum, exists, err := c.Checksum(ctx, filepath.Join(dir, "missing"), false); err != nil || exists || sum != "" {
		t.Fatalf("missing: %q %v %v", sum, exists, err)
	}
	if _, _, err := c.Checksum(ctx, dir, false); err == nil {
		t.Fatal("checksum of a directory succeeded")
	}

	fi, err := c.Stat(ctx, path, false)
	if err != nil || fi.Size != int64(len(content)) || fi.Mode != 0o604 || fi.IsDir || fi.IsSymlink {
		t.Fatalf("stat file %+v %v", fi, err)
	}
	if u, _ := user.Current(); fi.Owner != u.Username {
		t.Fatalf("owner %q", fi.Owner)
	}
	if fi, err := c.Stat(ctx, dir, false); err != nil || !fi.IsDir {
		t.Fatalf("stat dir %+v %v", fi, err)
	}
	if fi, err := c.Stat(ctx, filepath.Join(dir, "link"), false); err != nil || !fi.IsSymlink || fi.LinkTarget != "it's a file" {
		t.Fatalf("stat link %+v %v", fi, err)
	}
	if _, err := c.Stat(ctx, filepath.Join(dir, "missing"), false); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stat missing: %v", err)
	}

	data, err := c.ReadFile(ctx, path, false)
	if err != nil || string(data) != string(content) {
		t.Fatalf("read %q %v", data, err)
	}
	if _, err := c.ReadFile(ctx, filepath.Join(dir, "missing"), false); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("read missing: %v", err)
	}
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("dir holds %v, want %v", got, names)
	}
}

func TestWriteFileLargeSizedReader(t *testing.T) {
	_, c := sshConn(t)
	data := make([]byte, 5<<20+123)
	for i := range data {
		data[i] = byte(i * 7)
	}
	path := filepath.Join(t.TempDir(), "zdm-proxy")
	if err := c.WriteFile(context.Background(), path, bytes.NewReader(data), FileOptions{Mode: 0o755}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, data) {
		t.Fatalf("content differs (%d vs %d bytes)", len(got), len(data))
	}
	sum, _, err := c.Checksum(context.Background(), path, false)
	want := sha256.Sum256(data)
	if err != nil || sum != hex.EncodeToString(want[:]) {
		t.Fatalf("checksum %s %v", sum, err)
	}
	back, err := c.ReadFile(context.Background(), path, false)
	if err != nil || !bytes.Equal(back, data) {
		t.Fatalf("read back %d bytes, %v", len(back), err)
	}
}
