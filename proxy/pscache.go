package proxy

import (
	"container/list"
	"sync"
	"sync/atomic"

	"github.com/zdmctl/zdmctl/proxy/classify"
	"github.com/zdmctl/zdmctl/proxy/frame"
)

// psEntry maps the prepared id a client knows to each cluster's own id.
type psEntry struct {
	clientID []byte
	ids      [2][]byte // per cluster prepared id
	metaIDs  [2][]byte // per cluster result_metadata_id (v5)
	// clientMeta is the result_metadata_id the client got with clientID
	// (the primary's at PREPARE time); only that one is mapped to metaIDs.
	clientMeta []byte
	stmt       classify.Statement
	query      string // CQL text: system tables the proxy answers, async mismatch logs
	// reprepAt: when a PREPARE of query was sent to the cluster whose id is
	// missing, Unix nanos, 0 when none is (DUAL_ASYNC_ON_SECONDARY:
	// asyncprepare.go).
	reprepAt atomic.Int64
}

// psCache is a bounded LRU of prepared statements shared by all client
// connections (prepared ids are cluster-wide).
type psCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List // front = most recent; values *psEntry
	index map[string]*list.Element
}

func newPSCache(max int) *psCache {
	return &psCache{max: max, ll: list.New(), index: make(map[string]*list.Element)}
}

func (p *psCache) get(clientID []byte) *psEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	if el, ok := p.index[string(clientID)]; ok {
		p.ll.MoveToFront(el)
		return el.Value.(*psEntry)
	}
	return nil
}

func (p *psCache) put(e *psEntry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if el, ok := p.index[string(e.clientID)]; ok {
		el.Value = e
		p.ll.MoveToFront(el)
		return
	}
	p.index[string(e.clientID)] = p.ll.PushFront(e)
	for p.ll.Len() > p.max {
		old := p.ll.Back()
		p.ll.Remove(old)
		delete(p.index, string(old.Value.(*psEntry).clientID))
	}
}

func (p *psCache) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ll.Len()
}

// parsePrepared extracts the id and (v5) result_metadata_id from a
// RESULT/Prepared frame.
func parsePrepared(version byte, f frame.Frame) (id, metaID []byte, ok bool) {
	if f == nil || f.Opcode() != frame.OpResult {
		return nil, nil, false
	}
	m, err := frame.ResponseMessage(f)
	if err != nil {
		return nil, nil, false
	}
	c := frame.Cursor{B: m}
	if c.Int() != 4 {
		return nil, nil, false
	}
	id = c.ShortBytes()
	if version >= 5 {
		metaID = c.ShortBytes()
	}
	if c.Err != nil {
		return nil, nil, false
	}
	return append([]byte(nil), id...), append([]byte(nil), metaID...), true
}

// storeFromResults records a statement prepared on both clusters; the client
// sees the primary's id.
func (p *psCache) storeFromResults(version byte, st classify.Statement, query string, primary Cluster, resp [2]frame.Frame) {
	e := &psEntry{stmt: st, query: query}
	for c := Origin; c <= Target; c++ {
		id, meta, ok := parsePrepared(version, resp[c])
		if !ok {
			return
		}
		e.ids[c], e.metaIDs[c] = id, meta
	}
	e.clientID, e.clientMeta = e.ids[primary], e.metaIDs[primary]
	p.put(e)
}
