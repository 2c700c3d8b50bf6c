package modules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain keeps the probe's checksum cache out of the machine's
// /var/cache when the tests run as root.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "zdmctl-sums-")
	if err != nil {
		panic(err)
	}
	sumCacheDir = filepath.Join(dir, "sums")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestProbeChecksumCache(t *testing.T) {
	env := localEnv(t)
	ctx := context.Background()
	oldDir, oldAge, oldSize := sumCacheDir, sumCacheMinAge, sumCacheMinSize
	t.Cleanup(func() { sumCacheDir, sumCacheMinAge, sumCacheMinSize = oldDir, oldAge, oldSize })
	sumCacheDir = filepath.Join(t.TempDir(), "sums")
	p := filepath.Join(t.TempDir(), "payload bin")
	a := []byte("content A\n")
	// Below the minimum size: never cached.
	sumCacheMinSize, sumCacheMinAge = len(a)+1, 0
	if err := os.WriteFile(p, a, 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err := env.probe(ctx, p); err != nil || st.Sum != sha256Hex(a) || st.Size != int64(len(a)) || st.Mode != 0o644 {
		t.Fatalf("small file: %+v, %v", st, err)
	}
	if _, err := os.Stat(sumCacheDir); !os.IsNotExist(err) {
		t.Fatalf("a small file used the cache: %v", err)
	}
	sumCacheMinSize = 0
	if err := os.WriteFile(p, a, 0o644); err != nil {
		t.Fatal(err)
	}
	probeSum := func() string {
		t.Helper()
		st, err := env.probe(ctx, p)
		if err != nil || st.Kind != "file" {
			t.Fatalf("probe: %+v, %v", st, err)
		}
		return st.Sum
	}
	entries := func() []string {
		ents, _ := os.ReadDir(sumCacheDir)
		var out []string
		for _, e := range ents {
			out = append(out, filepath.Join(sumCacheDir, e.Name()))
		}
		return out
	}

	// Check mode records nothing, not even the cache dir.
	sumCacheMinAge = 0
	env.Check = true
	if got := probeSum(); got != sha256Hex(a) {
		t.Fatalf("check mode: sum %s", got)
	}
	if _, err := os.Stat(sumCacheDir); !os.IsNotExist(err) {
		t.Fatalf("check mode created the cache dir: %v", err)
	}
	env.Check = false

	// A file changed less than sumCacheMinAge ago is hashed, not recorded.
	sumCacheMinAge = 3600
	if got := probeSum(); got != sha256Hex(a) {
		t.Fatalf("sum %s, want %s", got, sha256Hex(a))
	}
	if e := entries(); len(e) != 0 {
		t.Fatalf("racy file recorded: %v", e)
	}

	sumCacheMinAge = 0
	// Old enough: recorded, with the stat key and the sum.
	if got := probeSum(); got != sha256Hex(a) {
		t.Fatalf("sum %s, want %s", got, sha256Hex(a))
	}
	e := entries()
	if len(e) != 1 {
		t.Fatalf("entries %v, want 1", e)
	}
	data, _ := os.ReadFile(e[0])
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || lines[1] != sha256Hex(a) {
		t.Fatalf("entry %q", data)
	}
	if fi, _ := os.Stat(sumCacheDir); fi.Mode().Perm() != 0o700 {
		t.Fatalf("cache dir mode %v, want 0700", fi.Mode().Perm())
	}

	// The entry is what the probe believes while the key holds: a planted
	// sum shows the file is not re-hashed.
	planted := strings.Repeat("ab", 32)
	if err := os.WriteFile(e[0], []byte(lines[0]+"\n"+planted+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := probeSum(); got != planted {
		t.Fatalf("sum %s: the cache entry was not used", got)
	}
	env.Check = true
	if got := probeSum(); got != planted {
		t.Fatalf("check mode: sum %s: the cache entry was not used", got)
	}
	env.Check = false

	// Same size, new content, renamed over (as zdmctl uploads): new inode,
	// new key, re-hashed.
	b := []byte("content B\n")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	if got := probeSum(); got != sha256Hex(b) {
		t.Fatalf("after rename-over: sum %s, want %s", got, sha256Hex(b))
	}
	// Written in place with another size: re-hashed too.
	if err := os.WriteFile(p, []byte("content C, longer\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := probeSum(); got != sha256Hex([]byte("content C, longer\n")) {
		t.Fatalf("after in-place write: sum %s", got)
	}

	// A cache dir the probing user does not own (here: a file in its
	// place, so it cannot be created) is not used: the file is hashed.
	sumCacheDir = filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(sumCacheDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := probeSum(); got != sha256Hex([]byte("content C, longer\n")) {
		t.Fatalf("without a usable cache: sum %s", got)
	}
}
