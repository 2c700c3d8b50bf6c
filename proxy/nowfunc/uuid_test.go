package nowfunc

import (
	"testing"
	"time"
)

func TestRFC9562Vector(t *testing.T) {
	// RFC 9562 appendix A.1: version 1 UUID for 2022-02-22 19:22:22 UTC,
	// clock sequence 0x33C8, node 9F6BDECED846.
	ts := uint64(time.Date(2022, 2, 22, 19, 22, 22, 0, time.UTC).UnixNano()/100) + gregorianOffset
	u := makeV1(ts, 0x33c8, [6]byte{0x9f, 0x6b, 0xde, 0xce, 0xd8, 0x46})
	if got := u.String(); got != "c232ab00-9414-11ec-b3c8-9f6bdeced846" {
		t.Fatalf("got %s", got)
	}
	if !u.Time().Equal(time.Date(2022, 2, 22, 19, 22, 22, 0, time.UTC)) || u.Version() != 1 {
		t.Fatalf("time %v version %d", u.Time(), u.Version())
	}
}

func TestGeneratorMonotonicAndUnique(t *testing.T) {
	g := NewGenerator()
	at := time.Date(2026, 11, 26, 3, 0, 0, 123456700, time.UTC)
	g.now = func() time.Time { return at } // a stalled clock
	seen := map[UUID]bool{}
	var prev time.Time
	for i := 0; i < 1000; i++ {
		u := g.New()
		if seen[u] {
			t.Fatalf("duplicate %s", u)
		}
		seen[u] = true
		if u.Version() != 1 || u[8]&0xc0 != 0x80 || u[10]&0x01 != 1 {
			t.Fatalf("bad version/variant/multicast bit: %s", u)
		}
		if i > 0 && !u.Time().After(prev) {
			t.Fatalf("time did not increase: %v then %v", prev, u.Time())
		}
		prev = u.Time()
	}
	if first := g.last.Load() - 999; first != uint64(at.UnixNano()/100)+gregorianOffset {
		t.Errorf("first timestamp %d is not the clock's", first)
	}
	// Clock stepping back does not repeat.
	at = at.Add(-time.Hour)
	if u := g.New(); !u.Time().After(prev) {
		t.Errorf("clock step back gave %v after %v", u.Time(), prev)
	}
}
