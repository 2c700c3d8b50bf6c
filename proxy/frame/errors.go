package frame

import "encoding/binary"

// Error codes used by the proxy.
const (
	ErrCodeServer      = 0x0000
	ErrCodeProtocol    = 0x000A
	ErrCodeBadCreds    = 0x0100
	ErrCodeUnavailable = 0x1000
	ErrCodeOverloaded  = 0x1001
	ErrCodeBootstrap   = 0x1002 // IS_BOOTSTRAPPING: not executed, try another node
	ErrCodeWriteTO     = 0x1100
	ErrCodeReadTO      = 0x1200
	ErrCodeInvalid     = 0x2200
	ErrCodeUnprepared  = 0x2500
)

// ErrorFrame builds an ERROR response with a plain message.
func ErrorFrame(version byte, stream int16, code int32, msg string) Frame {
	body := binary.BigEndian.AppendUint32(nil, uint32(code))
	body = AppendString(body, msg)
	return New(version|ResponseBit, 0, stream, OpError, body)
}

// UnpreparedFrame builds an UNPREPARED error carrying the statement id.
func UnpreparedFrame(version byte, stream int16, id []byte) Frame {
	body := binary.BigEndian.AppendUint32(nil, ErrCodeUnprepared)
	body = AppendString(body, "Prepared query with ID not found (the proxy or a cluster does not know it); re-prepare")
	body = AppendShortBytes(body, id)
	return New(version|ResponseBit, 0, stream, OpError, body)
}

// ErrorCode returns the code of an ERROR frame's message, or -1.
func ErrorCode(f Frame) int32 {
	if f.Opcode() != OpError {
		return -1
	}
	m, err := ResponseMessage(f)
	if err != nil || len(m) < 4 {
		return -1
	}
	return int32(binary.BigEndian.Uint32(m))
}

// ErrorMessage returns the message string of an ERROR frame.
func ErrorMessage(f Frame) string {
	m, err := ResponseMessage(f)
	if err != nil || len(m) < 4 {
		return ""
	}
	c := Cursor{B: m[4:]}
	return c.Str()
}
