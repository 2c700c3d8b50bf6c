package nowfunc

import (
	"testing"

	"github.com/datastax/go-cassandra-native-protocol/primitive"
)

// FuzzWire: the byte rewriters never panic on hostile input, whatever the
// version and positions.
func FuzzWire(f *testing.F) {
	f.Add([]byte{0, 0, 0, 4, 0, 1, 0xab, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 'k', 's', 0, 1, 't', 0, 2, 'i', 'd', 0, 0x0f}, uint8(4), uint8(0))
	f.Add([]byte{0, 1, 7, 0, 1, 0x40, 0, 1, 0, 1, 'v', 0, 0, 0, 1, 'x'}, uint8(3), uint8(1))
	f.Add([]byte{0, 0, 2, 0, 0, 0, 0, 4, 'a', 'b', 'c', 'd', 0, 0, 1, 0, 1, 1, 0, 0}, uint8(5), uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, ver, pos uint8) {
		v := primitive.ProtocolVersion(3 + ver%3)
		positions := []int{int(pos % 4)}
		p := &Prepared{Positions: positions, Names: []string{"zdm_now_0"}}
		_, _, _ = StripVariables(b, v, positions)
		_, _ = RewriteExecute(b, v, p, fixed)
		_, _, _ = RewriteBatch(b, v, func([]byte) *Prepared { return p }, func() UUID { return fixed })
		_, _, _ = InsertValues(nil, b, positions, fixed)
		_, _, _ = InsertNamedValues(nil, b, p.Names, fixed)
	})
}
