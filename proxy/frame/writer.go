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

// maxKeptBuf is the largest write buffer kept for reuse after a flush;
// bigger ones (a burst of large results) are dropped so the memory can go
// back to the OS.
const maxKeptBuf = 1 << 20

// Writer coalesces frames bound for one socket. Producers append frames with
// Enqueue (no syscall) and call Flush when they have no more input at hand;
// Flush writes everything queued with one write call. Whoever flushes while
// no write is in progress becomes the writer and keeps draining until the
// queue is empty, so frames queued by other goroutines meanwhile ride along
// (flat combining: no writer goroutine, no wake-up per frame).
type Writer struct {
	w         io.Writer
	mu        sync.Mutex
	space     *sync.Cond
	buf       []byte
	spare     []byte
	out       []byte
	writing   bool
	closed    bool
	err       error
	segmented bool
	comp      Compressor
	onError   func(error)
}

// NewWriter returns a writer for w.
func NewWriter(w io.Writer) *Writer {
	wr := &Writer{w: w, buf: make([]byte, 0, 4<<10), spare: make([]byte, 0, 4<<10)}
	wr.space = sync.NewCond(&wr.mu)
	return wr
}

// Configure sets the framing (call while no frames are queued).
func (w *Writer) Configure(segmented bool, comp Compressor) {
	w.mu.Lock()
	w.segmented, w.comp = segmented, comp
	w.mu.Unlock()
}

// OnError registers a function called once, outside locks, when a write fails.
func (w *Writer) OnError(fn func(error)) {
	w.mu.Lock()
	w.onError = fn
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
		if !w.writing {
			w.mu.Unlock()
			w.Flush()
			w.mu.Lock()
			continue
		}
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
	return nil
}

// Send queues f with the given stream id and flushes.
func (w *Writer) Send(f Frame, stream int16) error {
	if err := w.Enqueue(f, stream); err != nil {
		return err
	}
	return w.Flush()
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

// Flush writes everything queued, unless another goroutine is already
// writing (it will write what was queued). It returns the write error that
// closed the writer, if any.
func (w *Writer) Flush() error {
	w.mu.Lock()
	if w.writing || len(w.buf) == 0 {
		err := w.err
		w.mu.Unlock()
		return err
	}
	w.writing = true
	for len(w.buf) > 0 && w.err == nil {
		data := w.buf
		w.buf = w.spare[:0]
		segmented, comp := w.segmented, w.comp
		w.space.Broadcast()
		w.mu.Unlock()

		var err error
		if segmented {
			w.out = AppendSegments(w.out[:0], data, comp)
			_, err = w.w.Write(w.out)
			if cap(w.out) > maxKeptBuf {
				w.out = nil
			}
		} else {
			_, err = w.w.Write(data)
		}
		if cap(data) > maxKeptBuf {
			data = make([]byte, 0, 16<<10)
		}
		w.mu.Lock()
		w.spare = data[:0]
		if err != nil {
			w.fail(err)
		}
	}
	w.writing = false
	err := w.err
	onErr := w.onError
	if err != nil {
		w.onError = nil
	}
	w.space.Broadcast()
	w.mu.Unlock()
	if err != nil && onErr != nil {
		onErr(err)
	}
	return err
}

// fail records a write error; w.mu must be held.
func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
	w.closed = true
	w.buf = w.buf[:0]
}

// Close stops accepting frames and writes what is queued.
func (w *Writer) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	return w.Flush()
}

// Pending is the number of bytes queued and not yet written.
func (w *Writer) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.buf)
}
