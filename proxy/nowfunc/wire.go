package nowfunc

import "encoding/binary"

func appendU16(b []byte, v int) []byte { return binary.BigEndian.AppendUint16(b, uint16(v)) }
func appendI32(b []byte, v int) []byte { return binary.BigEndian.AppendUint32(b, uint32(v)) }

func appendUUIDValue(b []byte, u UUID) []byte {
	b = appendI32(b, 16)
	return append(b, u[:]...)
}
