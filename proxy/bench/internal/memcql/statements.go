package memcql

import (
	"crypto/md5"
	"strings"
	"sync"
)

// kind is what the server does with a statement.
type kind int

const (
	kindWrite       kind = iota // INSERT/UPDATE/DELETE and anything unknown: VOID
	kindRead                    // user SELECT: one row {v}
	kindLocal                   // SELECT ... FROM system.local
	kindPeers                   // SELECT ... FROM system.peers
	kindPeersV2                 // system.peers_v2: Invalid, as Cassandra 3.11 does
	kindSystemOther             // other system tables: empty result
	kindUse                     // USE ks
)

// classify maps a CQL string to a kind. It is deliberately crude: the
// benchmark issues a handful of fixed statements and drivers issue a few
// well-known system queries.
func classify(query string) (kind, string) {
	q := strings.ToLower(strings.TrimSpace(query))
	switch {
	case strings.HasPrefix(q, "use "):
		return kindUse, strings.Trim(strings.TrimSpace(q[4:]), `"`)
	case !strings.HasPrefix(q, "select"):
		return kindWrite, ""
	case strings.Contains(q, "system.local"):
		return kindLocal, ""
	case strings.Contains(q, "system.peers_v2"):
		return kindPeersV2, ""
	case strings.Contains(q, "system.peers"):
		return kindPeers, ""
	case strings.Contains(q, "system"):
		return kindSystemOther, ""
	default:
		return kindRead, ""
	}
}

// prepared is a statement the server has handed out an id for.
type prepared struct {
	kind  kind
	nvars int
}

// registry maps prepared ids to statements. Ids are the MD5 of the query
// text, like Cassandra's, so two servers hand out the same id for the same
// statement (a proxy relies on that when it prepares on both clusters).
type registry struct {
	mu   sync.RWMutex
	byID map[[md5.Size]byte]prepared
}

func newRegistry() *registry {
	return &registry{byID: make(map[[md5.Size]byte]prepared)}
}

func (r *registry) prepare(query string) ([]byte, prepared) {
	id := md5.Sum([]byte(query))
	k, _ := classify(query)
	p := prepared{kind: k, nvars: min(strings.Count(query, "?"), len(bindColumns))}
	r.mu.Lock()
	r.byID[id] = p
	r.mu.Unlock()
	return id[:], p
}

func (r *registry) lookup(id []byte) (prepared, bool) {
	if len(id) != md5.Size {
		return prepared{}, false
	}
	r.mu.RLock()
	p, ok := r.byID[[md5.Size]byte(id)]
	r.mu.RUnlock()
	return p, ok
}
