package nowfunc

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync/atomic"
	"time"
)

// UUID is a 16-byte UUID, as a CQL uuid/timeuuid value is encoded.
type UUID [16]byte

// String formats u as xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, lower case,
// which is also its CQL constant syntax.
func (u UUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return string(b[:])
}

// gregorianOffset is the number of 100 ns intervals from 1582-10-15 (the
// UUID epoch) to 1970-01-01.
const gregorianOffset = 0x01B21DD213814000

// Time returns the timestamp of a version 1 UUID.
func (u UUID) Time() time.Time {
	ts := uint64(binary.BigEndian.Uint32(u[0:4])) |
		uint64(binary.BigEndian.Uint16(u[4:6]))<<32 |
		uint64(binary.BigEndian.Uint16(u[6:8])&0x0fff)<<48
	unix100ns := int64(ts - gregorianOffset)
	return time.Unix(unix100ns/1e7, (unix100ns%1e7)*100).UTC()
}

// Version is the UUID version nibble (1 for timeuuids).
func (u UUID) Version() int { return int(u[6] >> 4) }

// Generator makes version 1 (time-based) UUIDs: 60-bit count of 100 ns
// since 1582-10-15, 14-bit clock sequence and 48-bit node, both random per
// generator (node with the multicast bit set, as RFC 9562 asks of
// non-MAC nodes). Timestamps strictly increase within a generator, so its
// UUIDs are unique even when the clock stalls or steps back. Safe for
// concurrent use, lock-free.
type Generator struct {
	clockSeq uint16
	node     [6]byte
	last     atomic.Uint64
	now      func() time.Time
}

// NewGenerator returns a generator with a random clock sequence and node.
func NewGenerator() *Generator {
	var r [8]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never fails (Go 1.24+)
	g := &Generator{clockSeq: binary.BigEndian.Uint16(r[0:2]) & 0x3fff, now: time.Now}
	copy(g.node[:], r[2:8])
	g.node[0] |= 0x01
	return g
}

// New returns a fresh timeuuid.
func (g *Generator) New() UUID {
	ts := uint64(g.now().UnixNano()/100) + gregorianOffset
	for {
		last := g.last.Load()
		if ts <= last {
			ts = last + 1
		}
		if g.last.CompareAndSwap(last, ts) {
			break
		}
	}
	return makeV1(ts, g.clockSeq, g.node)
}

func makeV1(ts uint64, clockSeq uint16, node [6]byte) UUID {
	var u UUID
	binary.BigEndian.PutUint32(u[0:4], uint32(ts))
	binary.BigEndian.PutUint16(u[4:6], uint16(ts>>32))
	binary.BigEndian.PutUint16(u[6:8], uint16(ts>>48)&0x0fff|0x1000)
	u[8] = byte(clockSeq>>8)&0x3f | 0x80
	u[9] = byte(clockSeq)
	copy(u[10:], node[:])
	return u
}
