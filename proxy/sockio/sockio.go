// Package sockio reads and writes TCP sockets with raw, non-blocking system
// calls that the Go scheduler does not see as system calls.
//
// A write to a loopback or LAN socket runs the receiver's TCP processing and
// wakes it before returning, so on a small VM it often takes more than the
// 20 µs after which the runtime's monitor hands the caller's P to another
// thread. For a proxy doing one short write per request hop that hand-off
// (a futex wake, a spinning thread, a context switch) costs more than the
// write itself. The sockets are non-blocking, so read(2) and write(2) return
// at once with data or EAGAIN; they never wait. Waiting still goes through
// the runtime's netpoller (syscall.RawConn), so deadlines and Close behave as
// with net.Conn.
package sockio

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// Wrap returns an io.ReadWriter over c that uses raw system calls when c is
// a plain TCP connection, and c itself otherwise (TLS, pipes, tests).
func Wrap(c net.Conn) io.ReadWriter {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	return newConn(c, rc)
}

type conn struct {
	c  net.Conn
	rc syscall.RawConn

	// The read and write in progress, so that the functions handed to rc
	// are method values made once per connection, not a closure per call.
	// A frame.Reader reads from one goroutine and a frame.Writer has one
	// writer at a time, so each side has at most one call in progress.
	rbuf   []byte
	rn     int
	rerrno syscall.Errno
	readFn func(fd uintptr) bool

	wbuf    []byte
	wdone   int
	werrno  syscall.Errno
	writeFn func(fd uintptr) bool
}

func newConn(c net.Conn, rc syscall.RawConn) *conn {
	s := &conn{c: c, rc: rc}
	s.readFn, s.writeFn = s.readOnce, s.writeSome
	return s
}

// Read reads what the socket has, waiting in the netpoller when it has nothing.
func (s *conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.rbuf, s.rn, s.rerrno = p, 0, 0
	err := s.rc.Read(s.readFn)
	n, errno := s.rn, s.rerrno
	s.rbuf = nil
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, s.opError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// readOnce is one non-blocking read(2); false means "wait for readability".
func (s *conn) readOnce(fd uintptr) bool {
	p := s.rbuf
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		if e == syscall.EINTR {
			continue
		}
		if e == syscall.EAGAIN {
			return false
		}
		s.rn, s.rerrno = int(r), e
		return true
	}
}

// Write writes all of p, waiting in the netpoller while the socket is full.
func (s *conn) Write(p []byte) (int, error) {
	s.wbuf, s.wdone, s.werrno = p, 0, 0
	var err error
	for s.wdone < len(p) && err == nil && s.werrno == 0 {
		err = s.rc.Write(s.writeFn)
	}
	done, errno := s.wdone, s.werrno
	s.wbuf = nil
	if err != nil {
		return done, err
	}
	if errno != 0 {
		return done, s.opError("write", errno)
	}
	return done, nil
}

// writeSome writes what the socket takes of the rest of s.wbuf; false
// means "wait for writability".
func (s *conn) writeSome(fd uintptr) bool {
	for s.wdone < len(s.wbuf) {
		rest := s.wbuf[s.wdone:]
		r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&rest[0])), uintptr(len(rest)))
		if e == syscall.EINTR {
			continue
		}
		if e == syscall.EAGAIN {
			return false
		}
		if e != 0 {
			s.werrno = e
			return true
		}
		s.wdone += int(r)
	}
	return true
}

func (s *conn) opError(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: "tcp", Source: s.c.LocalAddr(), Addr: s.c.RemoteAddr(), Err: os.NewSyscallError(op, errno)}
}

// NetConn returns c with Read and Write replaced by raw system calls when c
// is a plain TCP connection, for layering TLS on top; other methods (deadlines,
// Close, addresses) are c's own. Anything else is returned unchanged.
func NetConn(c net.Conn) net.Conn {
	rw, ok := Wrap(c).(*conn)
	if !ok {
		return c
	}
	return &netConn{TCPConn: c.(*net.TCPConn), rw: rw}
}

type netConn struct {
	*net.TCPConn
	rw *conn
}

func (c *netConn) Read(p []byte) (int, error)  { return c.rw.Read(p) }
func (c *netConn) Write(p []byte) (int, error) { return c.rw.Write(p) }

// Listener wraps the connections ln accepts with NetConn.
func Listener(ln net.Listener) net.Listener { return listener{ln} }

type listener struct{ net.Listener }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	return NetConn(c), nil
}
