package proxy

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"
)

// verifiedCreds remembers the PasswordAuthenticator credentials a cluster
// accepted (AUTH_SUCCESS) since the proxy started, so that in
// DUAL_ASYNC_ON_SECONDARY a client can log in while that cluster, the
// secondary that checks the client's credentials, is down (secondaryauth.go).
//
// It never holds a password nor a username: an entry is keyed by
// HMAC-SHA256(key, username) and holds PBKDF2-SHA256(password, salt =
// key+username, credIterations), key being 32 random bytes drawn when the
// proxy starts. One entry per username (the last password accepted: a
// password changed on the cluster replaces it at the next login); at most
// credMaxEntries (the least recently verified is dropped); an entry not
// verified again for credMaxAge is ignored.
type verifiedCreds struct {
	key []byte
	mu  sync.Mutex
	m   map[[32]byte]credEntry
	now func() time.Time
}

type credEntry struct {
	sum [32]byte
	at  time.Time
}

const (
	credMaxEntries = 4096
	credMaxAge     = 24 * time.Hour
)

// credIterations makes a guess cost 0.16-0.9 ms of CPU (BenchmarkVerifiedCredsHas,
// idle or busy 2-CPU box); each login whose credentials a cluster checks
// pays it once.
var credIterations = 1024

func newVerifiedCreds() *verifiedCreds {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	return &verifiedCreds{key: key, m: map[[32]byte]credEntry{}, now: time.Now}
}

// plainCreds splits a PasswordAuthenticator SASL PLAIN token,
// "authzid\x00username\x00password"; ok is false for any other token.
func plainCreds(token []byte) (user, pass []byte, ok bool) {
	parts := bytes.Split(token, []byte{0})
	if len(parts) != 3 || len(parts[1]) == 0 {
		return nil, nil, false
	}
	return parts[1], parts[2], true
}

// authToken is the token of an AUTH_RESPONSE body ([bytes]); nil if
// malformed or null.
func authToken(body []byte) []byte {
	if len(body) < 4 {
		return nil
	}
	n := int32(uint32(body[0])<<24 | uint32(body[1])<<16 | uint32(body[2])<<8 | uint32(body[3]))
	if n < 0 || int(n) > len(body)-4 {
		return nil
	}
	return body[4 : 4+n]
}

func (v *verifiedCreds) digest(user, pass []byte) (id, sum [32]byte) {
	m := hmac.New(sha256.New, v.key)
	m.Write(user)
	copy(id[:], m.Sum(nil))
	salt := append(append([]byte(nil), v.key...), user...)
	k, _ := pbkdf2.Key(sha256.New, string(pass), salt, credIterations, 32) // fails only for FIPS 140-only limits, not met here
	copy(sum[:], k)
	return id, sum
}

// add records that the cluster accepted token.
func (v *verifiedCreds) add(token []byte) {
	user, pass, ok := plainCreds(token)
	if !ok {
		return
	}
	id, sum := v.digest(user, pass)
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.m[id]; !ok && len(v.m) >= credMaxEntries {
		var oldest [32]byte
		var at time.Time
		for k, e := range v.m {
			if at.IsZero() || e.at.Before(at) {
				oldest, at = k, e.at
			}
		}
		delete(v.m, oldest)
	}
	v.m[id] = credEntry{sum: sum, at: v.now()}
}

// remove forgets token's username if its entry holds token's password
// (the cluster refused the very credentials it had accepted: changed
// password, dropped role). A wrong password for a known user leaves the
// entry alone.
func (v *verifiedCreds) remove(token []byte) {
	user, pass, ok := plainCreds(token)
	if !ok {
		return
	}
	id, sum := v.digest(user, pass)
	v.mu.Lock()
	defer v.mu.Unlock()
	if e, ok := v.m[id]; ok && hmac.Equal(e.sum[:], sum[:]) {
		delete(v.m, id)
	}
}

// has reports whether the cluster accepted token within credMaxAge.
func (v *verifiedCreds) has(token []byte) bool {
	user, pass, ok := plainCreds(token)
	if !ok {
		return false
	}
	id, sum := v.digest(user, pass)
	v.mu.Lock()
	e, found := v.m[id]
	v.mu.Unlock()
	return found && hmac.Equal(e.sum[:], sum[:]) && v.now().Sub(e.at) < credMaxAge
}

func (v *verifiedCreds) len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.m)
}
