package hostile

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy/frame"
)

// rssBoundKB is the peak RSS the proxy may reach during the whole test.
const rssBoundKB = 150 << 10

const idleSockets = 3000

func session(t *testing.T, addr string) (*gocql.Session, error) {
	host, port, _ := net.SplitHostPort(addr)
	cl := gocql.NewCluster(host)
	cl.Port, _ = strconv.Atoi(port)
	cl.Timeout = 5 * time.Second
	cl.ConnectTimeout = 5 * time.Second
	cl.NumConns = 2
	cl.PoolConfig.HostSelectionPolicy = gocql.RoundRobinHostPolicy()
	return cl.CreateSession()
}

// load runs INSERT and SELECT through s until stop, counting errors.
type load struct {
	ops, errs atomic.Int64
	firstErr  atomic.Value
	wg        sync.WaitGroup
}

func startLoad(s *gocql.Session, workers int, stop <-chan struct{}) *load {
	l := &load{}
	for w := 0; w < workers; w++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				if i%2 == 0 {
					err = s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", fmt.Sprintf("k%d-%d", w, i), "v").Exec()
				} else {
					err = s.Query("SELECT * FROM ks.t WHERE k = ?", fmt.Sprintf("k%d-%d", w, i-1)).Exec()
				}
				l.ops.Add(1)
				if err != nil {
					l.errs.Add(1)
					l.firstErr.CompareAndSwap(nil, err.Error())
				}
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	return l
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial proxy: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	return nc
}

func header(stream int16, op byte, bodyLen uint32) []byte {
	h := frame.AppendHeader(nil, 4, 0, stream, op, 0)
	binary.BigEndian.PutUint32(h[5:], bodyLen)
	return h
}

func startupFrame(stream int16) []byte {
	body := frame.AppendStringMap(nil, []string{"CQL_VERSION"}, map[string]string{"CQL_VERSION": "3.0.0"})
	return frame.New(4, 0, stream, frame.OpStartup, body)
}

// login performs a v4 handshake without auth on nc.
func login(t *testing.T, nc net.Conn) *frame.Reader {
	t.Helper()
	r := frame.NewReader(nc, 4096)
	if _, err := nc.Write(startupFrame(1)); err != nil {
		t.Fatal(err)
	}
	f, err := r.ReadFrame()
	if err != nil || f.Opcode() != frame.OpReady {
		t.Fatalf("login: %v", err)
	}
	return r
}

// expectErrorThenClose reads one ERROR frame with code and then EOF.
func expectErrorThenClose(t *testing.T, what string, nc net.Conn, code int32) {
	t.Helper()
	r := frame.NewReader(nc, 4096)
	f, err := r.ReadFrame()
	if err != nil {
		t.Fatalf("%s: no answer: %v", what, err)
	}
	if f.Opcode() != frame.OpError || frame.ErrorCode(f) != code {
		t.Fatalf("%s: got %s (code %#x), want error %#x", what, frame.OpcodeName(f.Opcode()), frame.ErrorCode(f), code)
	}
	if _, err := io.ReadAll(nc); err != nil {
		t.Fatalf("%s: connection not closed: %v", what, err)
	}
}

func raiseFileLimit(t *testing.T, need uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	if lim.Max < need {
		t.Skipf("RLIMIT_NOFILE hard limit %d < %d needed for %d idle sockets", lim.Max, need, idleSockets)
	}
}

// TestHostileClientsBesideHealthyLoad probes the real proxy binary with
// hostile and broken clients while a gocql load runs through it.
func TestHostileClientsBesideHealthyLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the proxy binary")
	}
	raiseFileLimit(t, idleSockets+1024)
	bin := buildProxy(t)
	origin := cqltest.Start(t, cqltest.Options{Name: "origin", IDSalt: "o"})
	target := cqltest.Start(t, cqltest.Options{Name: "target", IDSalt: "t"})
	p := startProxy(t, bin, []string{
		"ZDM_ORIGIN_CONTACT_POINTS=" + origin.Host(), "ZDM_ORIGIN_PORT=" + strconv.Itoa(origin.Port()),
		"ZDM_TARGET_CONTACT_POINTS=" + target.Host(), "ZDM_TARGET_PORT=" + strconv.Itoa(target.Port()),
		"ZDM_LOG_LEVEL=INFO",
	})
	s, err := session(t, p.addr)
	if err != nil {
		t.Fatalf("healthy session: %v", err)
	}
	defer s.Close()
	stop := make(chan struct{})
	l := startLoad(s, 4, stop)
	defer func() { close(stop); l.wg.Wait() }()
	_, baseHWM := p.memKB(t)
	t.Logf("proxy started: VmHWM %d KiB", baseHWM)
	step := func(name string) {
		t.Helper()
		rss, hwm := p.memKB(t)
		t.Logf("after %-34s VmRSS %6d KiB  VmHWM %6d KiB  load ops %d errors %d", name+":", rss, hwm, l.ops.Load(), l.errs.Load())
		if !p.alive() {
			t.Fatalf("proxy died during %s", name)
		}
	}

	t.Run("headers declaring 256 MiB", func(t *testing.T) {
		var conns []net.Conn
		for i := 0; i < 16; i++ { // before login: refused at once
			nc := dial(t, p.addr)
			if _, err := nc.Write(append(header(int16(i), frame.OpStartup, 256<<20), make([]byte, 4<<10)...)); err != nil {
				t.Fatal(err)
			}
			conns = append(conns, nc)
		}
		for i, nc := range conns {
			expectErrorThenClose(t, fmt.Sprintf("256 MiB STARTUP #%d", i), nc, frame.ErrCodeProtocol)
		}
		for i := 0; i < 16; i++ { // after login: within proxy_max_frame_bytes, body never sent
			nc := dial(t, p.addr)
			login(t, nc)
			if _, err := nc.Write(append(header(2, frame.OpQuery, 256<<20-frame.HeaderLen), make([]byte, 4<<10)...)); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(200 * time.Millisecond)
	})
	step("16+16 x 256 MiB headers")

	t.Run("idle sockets and a new driver", func(t *testing.T) {
		conns := make([]net.Conn, idleSockets)
		var wg sync.WaitGroup
		var failed atomic.Int64
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := g; i < idleSockets; i += 16 {
					nc, err := net.DialTimeout("tcp", p.addr, 5*time.Second)
					if err != nil {
						failed.Add(1)
						continue
					}
					conns[i] = nc
				}
			}()
		}
		wg.Wait()
		t.Cleanup(func() {
			for _, c := range conns {
				if c != nil {
					c.Close()
				}
			}
		})
		if n := failed.Load(); n > 0 {
			t.Fatalf("%d of %d dials failed", n, idleSockets)
		}
		s2, err := session(t, p.addr)
		if err != nil {
			t.Fatalf("new gocql session during %d idle sockets: %v", idleSockets, err)
		}
		defer s2.Close()
		for i := 0; i < 20; i++ {
			if err := s2.Query("INSERT INTO ks.t (k, v) VALUES (?, 'new')", fmt.Sprintf("new-%d", i)).Exec(); err != nil {
				t.Fatalf("query on the new session: %v", err)
			}
		}
	})
	step(fmt.Sprintf("%d idle sockets + new session", idleSockets))

	t.Run("slow reader", func(t *testing.T) {
		nc := dial(t, p.addr)
		login(t, nc)
		// Pipeline requests and never read a response.
		q := frame.New(4, 0, 0, frame.OpQuery, queryBody("SELECT * FROM ks.t WHERE k = 'k0-0'"))
		batch := make([]byte, 0, len(q)*1000)
		var stream int16
		_ = nc.SetWriteDeadline(time.Now().Add(3 * time.Second))
		for sent := 0; sent < 500; sent++ {
			batch = batch[:0]
			for i := 0; i < 1000; i++ {
				stream = (stream + 1) & 0x7fff
				f := frame.Frame(append(batch[len(batch):len(batch)], q...))
				f.SetStream(stream)
				batch = batch[:len(batch)+len(f)]
			}
			if _, err := nc.Write(batch); err != nil {
				break // the proxy stopped reading: backpressure
			}
		}
		time.Sleep(500 * time.Millisecond)
	})
	step("slow reader")

	t.Run("garbage, truncated, negative streams, opcodes before STARTUP", func(t *testing.T) {
		nc := dial(t, p.addr)
		_, _ = nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		expectErrorThenClose(t, "HTTP request", nc, frame.ErrCodeProtocol)

		for n := 1; n < frame.HeaderLen; n++ { // truncated headers, then close
			nc := dial(t, p.addr)
			_, _ = nc.Write(startupFrame(1)[:n])
			nc.Close()
		}
		hold := dial(t, p.addr) // a truncated header left open: the handshake timeout ends it
		_, _ = hold.Write(startupFrame(1)[:5])

		nc = dial(t, p.addr)
		_, _ = nc.Write(frame.New(4, 0, -1, frame.OpOptions, nil))
		expectErrorThenClose(t, "OPTIONS on stream -1", nc, frame.ErrCodeProtocol)

		nc = dial(t, p.addr)
		r := login(t, nc)
		_, _ = nc.Write(frame.New(4, 0, -5, frame.OpQuery, queryBody("INSERT INTO ks.t (k, v) VALUES ('neg', 'x')")))
		if f, err := r.ReadFrame(); err != nil || frame.ErrorCode(f) != frame.ErrCodeProtocol || f.Stream() != -5 {
			t.Fatalf("QUERY on stream -5: %v", err)
		}
		if n := len(origin.Queries("'neg'")) + len(target.Queries("'neg'")); n != 0 {
			t.Fatalf("a request on a negative stream reached a cluster %d times", n)
		}

		for op := 0; op <= 0x11; op++ {
			if op == frame.OpOptions {
				continue // legal before STARTUP
			}
			nc := dial(t, p.addr)
			_, _ = nc.Write(frame.New(4, 0, 3, byte(op), nil))
			want := int32(frame.ErrCodeProtocol)
			expectErrorThenClose(t, "opcode "+frame.OpcodeName(byte(op))+" before STARTUP", nc, want)
		}
	})
	step("garbage and opcodes")

	// The handshake timeout (default) ends the idle and truncated sockets
	// still open; the load keeps running meanwhile.
	time.Sleep(time.Second)
	step("end")
	if n := l.errs.Load(); n != 0 {
		t.Fatalf("healthy load saw %d errors in %d ops; first: %v", n, l.ops.Load(), l.firstErr.Load())
	}
	if l.ops.Load() == 0 {
		t.Fatal("healthy load ran no operation")
	}
	if _, hwm := p.memKB(t); hwm > rssBoundKB {
		t.Fatalf("proxy peak RSS (VmHWM) %d KiB, bound %d KiB", hwm, rssBoundKB)
	}
	// Thousands of evictions and failed handshakes, a handful of summary
	// lines: the whole log stays short.
	if n := p.logLines("proxy_max_handshaking_connections reached"); n == 0 || n > 30 {
		t.Fatalf("%d log lines about handshake evictions, want a few summaries", n)
	}
	if n := p.logLines("\n"); n > 100 {
		t.Fatalf("the proxy logged %d lines for about %d hostile connections: not summarized", n, idleSockets+100)
	} else {
		t.Logf("proxy log: %d lines", n)
	}
}

func queryBody(q string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(q)))
	b = append(b, q...)
	return append(b, 0, 1, 0)
}
