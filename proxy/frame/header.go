// Package frame reads and writes CQL native-protocol frames as raw bytes:
// the 9-byte v3+ header, v5 segments, and frame/segment compression. Frames
// are kept as []byte (header followed by body) so the proxy can forward them
// after rewriting only the stream id.
package frame

import (
	"encoding/binary"
	"fmt"
)

// HeaderLen is the size of a v3+ frame header.
const HeaderLen = 9

// MaxBodyLen is the protocol's frame size limit (256 MB).
const MaxBodyLen = 256 * 1024 * 1024

// Opcodes.
const (
	OpError         = 0x00
	OpStartup       = 0x01
	OpReady         = 0x02
	OpAuthenticate  = 0x03
	OpOptions       = 0x05
	OpSupported     = 0x06
	OpQuery         = 0x07
	OpResult        = 0x08
	OpPrepare       = 0x09
	OpExecute       = 0x0A
	OpRegister      = 0x0B
	OpEvent         = 0x0C
	OpBatch         = 0x0D
	OpAuthChallenge = 0x0E
	OpAuthResponse  = 0x0F
	OpAuthSuccess   = 0x10
)

// Header flags.
const (
	FlagCompressed    = 0x01
	FlagTracing       = 0x02
	FlagCustomPayload = 0x04
	FlagWarning       = 0x08
	FlagBeta          = 0x10
)

// ResponseBit is set in the version byte of responses.
const ResponseBit = 0x80

// Frame is a whole frame: header then body. Methods assume len >= HeaderLen.
type Frame []byte

// Version is the protocol version without the direction bit.
func (f Frame) Version() byte { return f[0] &^ ResponseBit }

// IsResponse reports the direction bit.
func (f Frame) IsResponse() bool { return f[0]&ResponseBit != 0 }

// Flags returns the header flags.
func (f Frame) Flags() byte { return f[1] }

// Stream returns the stream id.
func (f Frame) Stream() int16 { return int16(binary.BigEndian.Uint16(f[2:4])) }

// SetStream rewrites the stream id in place.
func (f Frame) SetStream(s int16) { binary.BigEndian.PutUint16(f[2:4], uint16(s)) }

// Opcode returns the message opcode.
func (f Frame) Opcode() byte { return f[4] }

// Body returns the body bytes.
func (f Frame) Body() []byte { return f[HeaderLen:] }

// AppendHeader appends a v3+ header to dst.
func AppendHeader(dst []byte, version, flags byte, stream int16, opcode byte, bodyLen int) []byte {
	return append(dst, version, flags, byte(uint16(stream)>>8), byte(stream), opcode,
		byte(bodyLen>>24), byte(bodyLen>>16), byte(bodyLen>>8), byte(bodyLen))
}

// New builds a frame from a header description and a body.
func New(version, flags byte, stream int16, opcode byte, body []byte) Frame {
	f := make([]byte, 0, HeaderLen+len(body))
	f = AppendHeader(f, version, flags, stream, opcode, len(body))
	return append(f, body...)
}

// ProtocolError describes malformed input. Stream is valid when HasStream.
type ProtocolError struct {
	Version   byte
	Stream    int16
	HasStream bool
	Msg       string
}

func (e *ProtocolError) Error() string { return "protocol error: " + e.Msg }

// OpcodeName is for logs.
func OpcodeName(op byte) string {
	switch op {
	case OpError:
		return "ERROR"
	case OpStartup:
		return "STARTUP"
	case OpReady:
		return "READY"
	case OpAuthenticate:
		return "AUTHENTICATE"
	case OpOptions:
		return "OPTIONS"
	case OpSupported:
		return "SUPPORTED"
	case OpQuery:
		return "QUERY"
	case OpResult:
		return "RESULT"
	case OpPrepare:
		return "PREPARE"
	case OpExecute:
		return "EXECUTE"
	case OpRegister:
		return "REGISTER"
	case OpEvent:
		return "EVENT"
	case OpBatch:
		return "BATCH"
	case OpAuthChallenge:
		return "AUTH_CHALLENGE"
	case OpAuthResponse:
		return "AUTH_RESPONSE"
	case OpAuthSuccess:
		return "AUTH_SUCCESS"
	}
	return fmt.Sprintf("0x%02x", op)
}

// IsRequestOpcode reports whether op is a valid client-to-server opcode.
func IsRequestOpcode(op byte) bool {
	switch op {
	case OpStartup, OpOptions, OpQuery, OpPrepare, OpExecute, OpRegister, OpBatch, OpAuthResponse:
		return true
	}
	return false
}
