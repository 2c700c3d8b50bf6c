package modules

import (
	"bytes"
	"testing"
)

func TestContentSumMemo(t *testing.T) {
	a := bytes.Repeat([]byte("a"), sumMemoMinSize)
	if contentSum(a) != sha256Hex(a) || contentSum(a) != sha256Hex(a) {
		t.Fatal("sum of a large slice")
	}
	// Same backing array, other length; a copy with other content.
	if contentSum(a[:len(a)-1]) != sha256Hex(a[:len(a)-1]) {
		t.Fatal("memo keyed by pointer only")
	}
	b := append([]byte(nil), a...)
	b[len(b)-1] = 'b'
	if contentSum(b) != sha256Hex(b) {
		t.Fatal("sum of a copy")
	}
	for range sumMemoMax + 2 {
		c := bytes.Repeat([]byte("c"), sumMemoMinSize)
		if contentSum(c) != sha256Hex(c) {
			t.Fatal("sum after eviction")
		}
	}
	if len(sumMemo) > sumMemoMax {
		t.Fatalf("memo holds %d entries", len(sumMemo))
	}
}
