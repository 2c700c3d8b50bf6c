package frame

import (
	"fmt"
	"io"
)

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

// Budget bounds, across readers, the bytes of large frames being read:
// growing a frame past ReadChunk first acquires the growth. Acquire blocks
// while the budget is spent (the reader stops reading its socket: TCP
// backpressure on that peer) and fails when it waited too long. What a
// reader acquired for a frame is released when the next frame is read or
// the reader is released.
type Budget interface {
	// Acquire takes n more bytes for a reader that already holds held.
	Acquire(n, held int) error
	Release(n int)
}

// BudgetError is returned when a frame could not get read buffer from the
// shared Budget in time; Stream is the frame's.
type BudgetError struct {
	Version byte
	Stream  int16
	Err     error
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("frame on stream %d: read buffer budget: %v", e.Stream, e.Err)
}

func (e *BudgetError) Unwrap() error { return e.Err }

// SetBudget makes the reader acquire the growth of large frames from b.
func (r *Reader) SetBudget(b Budget) { r.budget = b }

// ReleaseBudget gives back what the reader holds for its last frame (call
// when the connection closes).
func (r *Reader) ReleaseBudget() {
	if r.held > 0 && r.budget != nil {
		r.budget.Release(r.held)
	}
	r.held = 0
}

// readBody returns a frame made of header h followed by n body bytes. The
// buffer grows with the bytes received, never ahead of them by more than
// ReadChunk (and at most doubling what has arrived).
func (r *Reader) readBody(h []byte, n int) (Frame, error) {
	total := len(h) + n
	if n <= ReadChunk {
		f := make(Frame, total)
		copy(f, h)
		if _, err := io.ReadFull(r.r, f[len(h):]); err != nil {
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
			if err := r.acquire(nc-cap(f), h); err != nil {
				return nil, err
			}
			nf := make(Frame, len(f), nc)
			copy(nf, f)
			f = nf
		}
		got, err := io.ReadFull(r.r, f[len(f):len(f)+want])
		f = f[:len(f)+got]
		if err != nil {
			return nil, unexpected(err)
		}
	}
	return f, nil
}

// acquire takes n bytes of the shared budget for the frame with header h.
func (r *Reader) acquire(n int, h []byte) error {
	if r.budget == nil {
		return nil
	}
	if err := r.budget.Acquire(n, r.held); err != nil {
		return &BudgetError{Version: h[0] &^ ResponseBit, Stream: Frame(h).Stream(), Err: err}
	}
	r.held += n
	return nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
