package config

// Bounds of proxy_max_frame_bytes: at least what a handshake may use, at
// most the protocol's (and Cassandra's native_transport_max_frame_size
// default) 256 MiB.
const (
	MinFrameBytes = 64 << 10
	MaxFrameBytes = 256 << 20
)

// Admission are the keys bounding what a client connection may cost.
// Embedded in Config.
type Admission struct {
	// MaxFrameBytes (proxy_max_frame_bytes) is the largest frame, header
	// included, a logged-in client may send; a larger declared length is
	// answered with PROTOCOL_ERROR and the connection closed. Before login
	// the limit is a fixed 64 KiB.
	MaxFrameBytes int
	// MaxHandshakingConns (proxy_max_handshaking_connections) caps the
	// connections that have not finished the handshake; they do not count
	// against proxy_max_client_connections. At the cap, the oldest one is
	// closed to admit a new one.
	MaxHandshakingConns int
	// HandshakeTimeoutMs (proxy_handshake_timeout_ms) is how long a client
	// has from connecting to READY or AUTH_SUCCESS.
	HandshakeTimeoutMs int
	// MaxReadBufferBytes (proxy_max_read_buffer_bytes) bounds the memory
	// all client connections together may hold for large frames being read
	// (the part of each frame past its first 64 KiB). At the bound, readers
	// wait and stop reading their sockets (backpressure); one that waits
	// longer than proxy_request_timeout_ms gets OVERLOADED and is closed.
	MaxReadBufferBytes int
}
