package modules

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLocalFileMemo(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	a := bytes.Repeat([]byte("a"), memoMinSize)
	if err := os.WriteFile(p, a, 0o644); err != nil {
		t.Fatal(err)
	}
	d1, err := readLocalFile(p)
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := readLocalFile(p)
	if !bytes.Equal(d1, a) || &d1[0] != &d2[0] {
		t.Fatal("a large file is read again instead of shared")
	}
	if contentSum(d2) != sha256Hex(a) {
		t.Fatal("memoised sum differs")
	}
	// Changed on disk (same size, new mtime): read again.
	b := bytes.Repeat([]byte("b"), memoMinSize)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	d3, _ := readLocalFile(p)
	if !bytes.Equal(d3, b) || contentSum(d3) != sha256Hex(b) {
		t.Fatal("a changed file was served from the memo")
	}
	// A copy of memoised content is hashed, not looked up.
	if contentSum(append([]byte(nil), d3[:len(d3)-1]...)) != sha256Hex(b[:len(b)-1]) {
		t.Fatal("contentSum of other content")
	}
}
