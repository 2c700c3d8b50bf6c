package frame

import (
	"errors"
	"io"
	"sync"
)

// ErrWriterClosed is returned by Enqueue after Close or a write failure.
var ErrWriterClosed = errors.New("connection writer closed")

// maxPending bounds the bytes queued for one socket before enqueuers wait.
const maxPending = 8 << 20

// Writer coalesces frames bound for one socket: enqueuers append into a
// shared buffer, and one goroutine (Run) swaps it out and writes everything
// queued with a single write call per drain.
type Writer struct {
	w         io.Writer
	mu        sync.Mutex
	space     *sync.Cond
	buf       []byte
	spare     []byte
	out       []byte
	notify    chan struct{}
	closed    bool
	err       error
	segmented bool
	comp      Compressor
	done      chan struct{}
}

// NewWriter returns a writer for w; call Run in a goroutine.
func NewWriter(w io.Writer) *Writer {
	wr := &Writer{w: w, notify: make(chan struct{}, 1), done: make(chan struct{}),
		buf: make([]byte, 0, 16<<10), spare: make([]byte, 0, 16<<10)}
	wr.space = sync.NewCond(&wr.mu)
	return wr
}

// Configure sets the framing before Run starts (or while no frames are queued).
func (w *Writer) Configure(segmented bool, comp Compressor) {
	w.mu.Lock()
	w.segmented, w.comp = segmented, comp
	w.mu.Unlock()
}

// Enqueue queues a copy of f with its stream id replaced.
func (w *Writer) Enqueue(f Frame, stream int16) error {
	return w.EnqueueFunc(func(dst []byte) []byte {
		start := len(dst)
		dst = append(dst, f...)
		Frame(dst[start:]).SetStream(stream)
		return dst
	})
}

// EnqueueFunc lets fn append one or more complete frames to the queue.
// fn must only append. Legacy-layout compression is applied here.
func (w *Writer) EnqueueFunc(fn func(dst []byte) []byte) error {
	w.mu.Lock()
	for len(w.buf) > maxPending && !w.closed {
		w.space.Wait()
	}
	if w.closed {
		err := w.err
		w.mu.Unlock()
		if err == nil {
			err = ErrWriterClosed
		}
		return err
	}
	start := len(w.buf)
	w.buf = fn(w.buf)
	if w.comp != nil && !w.segmented {
		w.buf = compressFrames(w.buf, start, w.comp)
	}
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
	return nil
}

// compressFrames compresses, in place from start, each frame body (v3/v4).
func compressFrames(buf []byte, start int, comp Compressor) []byte {
	raw := append([]byte(nil), buf[start:]...)
	buf = buf[:start]
	for len(raw) >= HeaderLen {
		n := frameLenAt(raw)
		if n > len(raw) {
			n = len(raw)
		}
		f := Frame(raw[:n])
		raw = raw[n:]
		body := f.Body()
		if len(body) == 0 || f.Flags()&FlagCompressed != 0 {
			buf = append(buf, f...)
			continue
		}
		hs := len(buf)
		buf = append(buf, f[:HeaderLen]...)
		out, err := comp.AppendCompressedBody(buf, body)
		if err != nil {
			buf = append(buf[:hs+HeaderLen], body...)
			continue
		}
		buf = out
		h := Frame(buf[hs:])
		h[1] |= FlagCompressed
		bl := len(buf) - hs - HeaderLen
		h[5], h[6], h[7], h[8] = byte(bl>>24), byte(bl>>16), byte(bl>>8), byte(bl)
	}
	return buf
}

// Run drains the queue until Close or a write error, which it returns.
func (w *Writer) Run() error {
	defer close(w.done)
	for {
		w.mu.Lock()
		for len(w.buf) == 0 && !w.closed {
			w.mu.Unlock()
			<-w.notify
			w.mu.Lock()
		}
		if len(w.buf) == 0 {
			err := w.err
			w.mu.Unlock()
			return err
		}
		data := w.buf
		w.buf = w.spare[:0]
		segmented, comp := w.segmented, w.comp
		w.space.Broadcast()
		w.mu.Unlock()

		if segmented {
			w.out = AppendSegments(w.out[:0], data, comp)
			data2 := w.out
			_, err := w.w.Write(data2)
			if cap(w.out) > 4<<20 {
				w.out = nil
			}
			if err != nil {
				w.fail(err)
				return err
			}
		} else if _, err := w.w.Write(data); err != nil {
			w.fail(err)
			return err
		}
		if cap(data) > 4<<20 {
			data = make([]byte, 0, 16<<10)
		}
		w.mu.Lock()
		w.spare = data[:0]
		w.mu.Unlock()
	}
}

func (w *Writer) fail(err error) {
	w.mu.Lock()
	if !w.closed {
		w.closed, w.err = true, err
	}
	w.space.Broadcast()
	w.mu.Unlock()
}

// Close stops accepting frames; Run writes what is queued, then returns.
func (w *Writer) Close() {
	w.mu.Lock()
	w.closed = true
	w.space.Broadcast()
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// Done is closed when Run has returned.
func (w *Writer) Done() <-chan struct{} { return w.done }
