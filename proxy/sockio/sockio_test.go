package sockio

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"testing"
	"time"
)

// pair returns both ends of a loopback TCP connection.
func pair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-acc
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// receive reads len(want) bytes from r, then checks the sender's error from
// errc and that the bytes arrived intact.
func receive(t *testing.T, what string, r io.Reader, want []byte, errc <-chan error) {
	t.Helper()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(r, got); err != nil {
		t.Fatalf("%s: read: %v", what, err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("%s: send: %v", what, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: payload corrupted", what)
	}
}

func TestWrapUsesRawIOForTCPOnly(t *testing.T) {
	c, _ := pair(t)
	if _, ok := Wrap(c).(*conn); !ok {
		t.Fatalf("Wrap(*net.TCPConn) = %T, want the raw-syscall conn", Wrap(c))
	}
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	if got := Wrap(p1); got != io.ReadWriter(p1) {
		t.Fatalf("Wrap(pipe) = %T, want the pipe itself", got)
	}
}

// A payload far bigger than the socket buffers: writes hit EAGAIN and must
// wait in the netpoller and resume where they stopped, reads get it in pieces.
func TestLargeTransferBothWays(t *testing.T) {
	c, s := pair(t)
	wc, ws := Wrap(c), Wrap(s)
	payload := make([]byte, 8<<20)
	if _, err := rand.Read(payload); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		n, err := wc.Write(payload)
		if err == nil && n != len(payload) {
			err = io.ErrShortWrite
		}
		errc <- err
	}()
	receive(t, "one 8 MiB write", ws, payload, errc)
	// and back, in small writes
	go func() {
		var err error
		for i := 0; i < len(payload) && err == nil; i += 1000 {
			_, err = ws.Write(payload[i:min(i+1000, len(payload))])
		}
		errc <- err
	}()
	receive(t, "small writes back", wc, payload, errc)
}

func TestEOFWhenPeerCloses(t *testing.T) {
	c, s := pair(t)
	if _, err := s.Write([]byte("bye")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	r := Wrap(c)
	b, err := io.ReadAll(r)
	if err != nil || string(b) != "bye" {
		t.Fatalf("ReadAll = %q, %v; want \"bye\", nil", b, err)
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("read after EOF = %d, %v; want 0, EOF", n, err)
	}
}

func TestReadDeadline(t *testing.T) {
	c, _ := pair(t)
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := Wrap(c).Read(make([]byte, 10))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v, want a deadline error", err)
	}
}

func TestCloseUnblocksReader(t *testing.T) {
	c, _ := pair(t)
	r := Wrap(c)
	errc := make(chan error, 1)
	go func() {
		_, err := r.Read(make([]byte, 10))
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read on closed conn: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock a waiting Read")
	}
}

func TestWriteToResetPeerFails(t *testing.T) {
	c, s := pair(t)
	_ = s.(*net.TCPConn).SetLinger(0)
	s.Close() // RST
	w := Wrap(c)
	var err error
	deadline := time.Now().Add(5 * time.Second)
	for err == nil && time.Now().Before(deadline) {
		_, err = w.Write(make([]byte, 64<<10))
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "write" {
		t.Fatalf("write to a reset peer: %v, want a *net.OpError for write", err)
	}
}

// TLS layered on NetConn on both sides: the handshake and a transfer bigger
// than the socket buffers work, and the connection is still a TCP one below.
func TestTLSOverNetConn(t *testing.T) {
	cert, pool := selfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sln := tls.NewListener(Listener(ln), &tls.Config{Certificates: []tls.Certificate{cert}})
	defer sln.Close()
	payload := make([]byte, 4<<20)
	_, _ = rand.Read(payload)
	errc := make(chan error, 1)
	go func() {
		c, err := sln.Accept()
		if err != nil {
			errc <- err
			return
		}
		defer c.Close()
		_, err = c.Write(payload)
		errc <- err
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	nc := NetConn(raw)
	if _, ok := nc.(*netConn); !ok {
		t.Fatalf("NetConn(*net.TCPConn) = %T", nc)
	}
	c := tls.Client(nc, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	defer c.Close()
	receive(t, "over TLS", c, payload, errc)
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// Read and Write allocate nothing per call (they run once per frame batch
// on the proxy's hot path).
func TestReadWriteDoNotAllocate(t *testing.T) {
	c, s := pair(t)
	wc, ws := Wrap(c), Wrap(s)
	out, in := []byte("0123456789abcdef"), make([]byte, 16)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := wc.Write(out); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(ws, in); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per write+read, want 0", allocs)
	}
}
