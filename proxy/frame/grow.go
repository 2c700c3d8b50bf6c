package frame

import "io"

// ReadChunk is the most a reader allocates ahead of bytes that have
// actually arrived: a declared frame length is a claim, not a reason to
// reserve memory. Frames up to ReadChunk are read into one exact-size
// buffer (the common case, one allocation); longer ones grow as their body
// arrives, so a peer that declares 256 MiB and sends 4 KiB costs about
// ReadChunk, not 256 MiB.
const ReadChunk = 64 << 10

// HandshakeMaxBodyLen is the body limit before a client connection is
// READY: enough for any STARTUP, OPTIONS or AUTH_RESPONSE.
const HandshakeMaxBodyLen = 64 << 10

// readBody returns a frame made of header h followed by n body bytes read
// from r. The buffer grows with the bytes received, never ahead of them by
// more than ReadChunk (and at most doubling what has arrived).
func readBody(r io.Reader, h []byte, n int) (Frame, error) {
	total := len(h) + n
	if n <= ReadChunk {
		f := make(Frame, total)
		copy(f, h)
		if _, err := io.ReadFull(r, f[len(h):]); err != nil {
			return nil, unexpected(err)
		}
		return f, nil
	}
	f := make(Frame, len(h), len(h)+ReadChunk)
	copy(f, h)
	for len(f) < total {
		want := min(total-len(f), ReadChunk)
		if cap(f)-len(f) < want {
			nc := min(total, max(2*cap(f), len(f)+want))
			nf := make(Frame, len(f), nc)
			copy(nf, f)
			f = nf
		}
		got, err := io.ReadFull(r, f[len(f):len(f)+want])
		f = f[:len(f)+got]
		if err != nil {
			return nil, unexpected(err)
		}
	}
	return f, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
