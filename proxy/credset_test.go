package proxy

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

func plainToken(user, pass string) []byte { return []byte("\x00" + user + "\x00" + pass) }

func TestVerifiedCreds(t *testing.T) {
	v := newVerifiedCreds()
	good := plainToken("app", "s3cret-pw")
	if v.has(good) {
		t.Fatal("empty set has credentials")
	}
	v.add(good)
	if !v.has(good) || !v.has([]byte("someone\x00app\x00s3cret-pw")) {
		t.Fatal("accepted credentials not found (the authzid part must not matter)")
	}
	for _, bad := range [][]byte{plainToken("app", "s3cret-pwX"), plainToken("app", ""), plainToken("other", "s3cret-pw"), []byte("app\x00s3cret-pw"), nil} {
		if v.has(bad) {
			t.Errorf("has(%q) = true", bad)
		}
	}
	// A wrong password for a known user does not evict it; the refused
	// accepted one does.
	v.remove(plainToken("app", "wrong"))
	if !v.has(good) {
		t.Fatal("a wrong password evicted the entry")
	}
	// A new password accepted replaces the old one.
	v.add(plainToken("app", "rotated"))
	if v.has(good) || !v.has(plainToken("app", "rotated")) {
		t.Fatal("the rotated password did not replace the old one")
	}
	v.remove(plainToken("app", "rotated"))
	if v.has(plainToken("app", "rotated")) || v.len() != 0 {
		t.Fatal("remove of the accepted credentials left them")
	}
	// Expiry.
	now := time.Now()
	v.now = func() time.Time { return now }
	v.add(good)
	v.now = func() time.Time { return now.Add(credMaxAge) }
	if v.has(good) {
		t.Fatal("an entry older than credMaxAge is still accepted")
	}
}

// The set holds neither usernames nor passwords.
func TestVerifiedCredsNoPlaintext(t *testing.T) {
	v := newVerifiedCreds()
	v.add(plainToken("app-user", "s3cret-pw"))
	v.mu.Lock()
	defer v.mu.Unlock()
	for id, e := range v.m {
		dump := fmt.Sprintf("%x %s %x %s %+v", id[:], id[:], e.sum[:], e.sum[:], e)
		for _, s := range []string{"s3cret-pw", "app-user"} {
			if bytes.Contains([]byte(dump), []byte(s)) || bytes.Contains(id[:], []byte(s)) || bytes.Contains(e.sum[:], []byte(s)) {
				t.Fatalf("entry holds %q", s)
			}
		}
	}
}

func TestVerifiedCredsBounded(t *testing.T) {
	defer func(n int) { credIterations = n }(credIterations)
	credIterations = 1
	v := newVerifiedCreds()
	for i := 0; i < credMaxEntries+10; i++ {
		v.add(plainToken(fmt.Sprintf("u%d", i), "p"))
	}
	if v.len() != credMaxEntries {
		t.Fatalf("%d entries, want %d", v.len(), credMaxEntries)
	}
}

func BenchmarkVerifiedCredsHas(b *testing.B) {
	v := newVerifiedCreds()
	tok := plainToken("app", "s3cret-pw")
	v.add(tok)
	for b.Loop() {
		v.has(tok)
	}
}
