package connbudget

import "sync"

// Budget tracks the connections still handshaking, oldest first.
type Budget struct {
	mu     sync.Mutex
	max    int
	head   *Ticket // oldest
	tail   *Ticket // newest
	n      int
	evicts int64
}

// New returns a budget admitting at most max handshaking connections
// (max < 1 is taken as 1).
func New(n int) *Budget {
	return &Budget{max: max(1, n)}
}

// Ticket is one admitted connection. Release it when the handshake ends,
// successfully or not.
type Ticket struct {
	b          *Budget
	prev, next *Ticket
	evict      func()
	in         bool
	evicted    bool
}

// Admit registers a new handshaking connection; evict closes it if it is
// later pushed out. When the budget is full, the oldest connection is
// evicted (its evict runs before Admit returns, outside the lock) so the
// new one always gets in.
func (b *Budget) Admit(evict func()) *Ticket {
	t := &Ticket{b: b, evict: evict, in: true}
	b.mu.Lock()
	var victim *Ticket
	if b.n >= b.max && b.head != nil {
		victim = b.head
		b.unlink(victim)
		victim.evicted = true
		b.evicts++
	}
	t.prev = b.tail
	if b.tail != nil {
		b.tail.next = t
	} else {
		b.head = t
	}
	b.tail = t
	b.n++
	b.mu.Unlock()
	if victim != nil && victim.evict != nil {
		victim.evict()
	}
	return t
}

// unlink removes t; b.mu must be held and t in the list.
func (b *Budget) unlink(t *Ticket) {
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		b.head = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	} else {
		b.tail = t.prev
	}
	t.prev, t.next, t.in = nil, nil, false
	b.n--
}

// Release leaves the budget; it is safe to call more than once and after
// an eviction.
func (t *Ticket) Release() {
	if t == nil {
		return
	}
	b := t.b
	b.mu.Lock()
	if t.in {
		b.unlink(t)
	}
	b.mu.Unlock()
}

// Evicted reports whether the connection was pushed out by a newer one.
func (t *Ticket) Evicted() bool {
	b := t.b
	b.mu.Lock()
	defer b.mu.Unlock()
	return t.evicted
}

// Len is the number of connections handshaking now.
func (b *Budget) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}

// Evictions is how many connections were closed to admit newer ones.
func (b *Budget) Evictions() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.evicts
}

// Max is the cap.
func (b *Budget) Max() int { return b.max }
