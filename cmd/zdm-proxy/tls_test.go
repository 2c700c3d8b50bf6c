package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/frame"
	"github.com/zdmctl/zdmctl/proxy/logging"
)

// pki is a test CA writing PEM files to a directory.
type pki struct {
	t    *testing.T
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	n    int64
}

func newPKI(t *testing.T, name string) *pki {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	p := &pki{t: t, dir: t.TempDir(), cert: cert, key: key, n: 1}
	p.write("ca.pem", "CERTIFICATE", der)
	return p
}

func (p *pki) write(name, typ string, der []byte) string {
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		p.t.Fatal(err)
	}
	return path
}

func (p *pki) caPath() string { return filepath.Join(p.dir, "ca.pem") }

type leaf struct {
	certPath, keyPath string
	pair              tls.Certificate
}

// issue makes a leaf certificate for host (IP or DNS name), expired if asked.
func (p *pki) issue(name, host string, client, expired bool) leaf {
	p.n++
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(p.n), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	if expired {
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else if host != "" {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, &key.PublicKey, p.key)
	if err != nil {
		p.t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	l := leaf{certPath: p.write(name+".pem", "CERTIFICATE", der), keyPath: p.write(name+"-key.pem", "EC PRIVATE KEY", kder)}
	l.pair, err = tls.LoadX509KeyPair(l.certPath, l.keyPath)
	if err != nil {
		p.t.Fatal(err)
	}
	return l
}

// tlsFront terminates TLS in front of a fake cluster, requiring a client
// certificate signed by clientCA when it is not nil.
func tlsFront(t *testing.T, backend string, cert tls.Certificate, clientCA *pki) int {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if clientCA != nil {
		pool := x509.NewCertPool()
		pool.AddCert(clientCA.cert)
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if err := c.(*tls.Conn).Handshake(); err != nil {
					return
				}
				b, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				defer b.Close()
				go io.Copy(b, c)
				io.Copy(c, b)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// startProxy runs the proxy in this process from environment settings.
func startProxy(t *testing.T, env ...string) (int, *syncBuffer) {
	port, logs, _ := startRunning(t, env...)
	return port, logs
}

// startRunning is startProxy that also returns the running proxy.
func startRunning(t *testing.T, env ...string) (int, *syncBuffer, *running) {
	t.Helper()
	port := freePort(t)
	env = append([]string{"ZDM_PROXY_LISTEN_ADDRESS=127.0.0.1", "ZDM_PROXY_LISTEN_PORT=" + strconv.Itoa(port),
		"ZDM_METRICS_ADDRESS=127.0.0.1", "ZDM_METRICS_PORT=" + strconv.Itoa(freePort(t)),
		"ZDM_ADMIN_ADDRESS=127.0.0.1", "ZDM_ADMIN_PORT=" + strconv.Itoa(freePort(t))}, env...)
	cfg, _, raw, err := config.LoadRaw("", env)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	logger, level, err := logging.New(&logs, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := start(cfg, raw, "", env, logger, level)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.close)
	return port, &logs, r
}

func session(port int, mod func(*gocql.ClusterConfig)) (*gocql.Session, error) {
	cl := gocql.NewCluster("127.0.0.1")
	cl.Port = port
	cl.Timeout = 5 * time.Second
	cl.ConnectTimeout = 5 * time.Second
	cl.DisableInitialHostLookup = true
	if mod != nil {
		mod(cl)
	}
	return cl.CreateSession()
}

func TestTLSMatrix(t *testing.T) {
	origin := cqltest.Start(t, cqltest.Options{Name: "origin"})
	target := cqltest.Start(t, cqltest.Options{Name: "target"})
	oAddr := net.JoinHostPort(origin.Host(), strconv.Itoa(origin.Port()))
	tAddr := net.JoinHostPort(target.Host(), strconv.Itoa(target.Port()))
	srvCA, cliCA := newPKI(t, "cluster-ca"), newPKI(t, "client-ca")
	good := srvCA.issue("node", "127.0.0.1", false, false)
	wrongHost := srvCA.issue("wrong", "db.example.com", false, false)
	expired := srvCA.issue("expired", "127.0.0.1", false, true)
	proxyCert := cliCA.issue("proxy", "", true, false)
	strangerCA := newPKI(t, "stranger-ca")

	plainO := "ZDM_ORIGIN_CONTACT_POINTS=127.0.0.1"
	plainT := "ZDM_TARGET_CONTACT_POINTS=127.0.0.1"
	clusters := func(oPort, tPort int, extra ...string) []string {
		return append([]string{plainO, "ZDM_ORIGIN_PORT=" + strconv.Itoa(oPort), plainT, "ZDM_TARGET_PORT=" + strconv.Itoa(tPort)}, extra...)
	}
	oneWay := tlsFront(t, oAddr, good.pair, nil)
	mutual := tlsFront(t, tAddr, good.pair, cliCA)
	wrong := tlsFront(t, oAddr, wrongHost.pair, nil)
	old := tlsFront(t, oAddr, expired.pair, nil)

	cases := []struct {
		name    string
		env     []string
		wantErr string // in the client's error and the log; "" = works
	}{
		{"none", clusters(origin.Port(), target.Port()), ""},
		{"origin one-way", clusters(oneWay, target.Port(), "ZDM_ORIGIN_TLS_SERVER_CA_PATH="+srvCA.caPath()), ""},
		{"target mutual", clusters(origin.Port(), mutual, "ZDM_TARGET_TLS_SERVER_CA_PATH="+srvCA.caPath(),
			"ZDM_TARGET_TLS_CLIENT_CERT_PATH="+proxyCert.certPath, "ZDM_TARGET_TLS_CLIENT_KEY_PATH="+proxyCert.keyPath), ""},
		{"both", clusters(oneWay, mutual, "ZDM_ORIGIN_TLS_SERVER_CA_PATH="+srvCA.caPath(), "ZDM_TARGET_TLS_SERVER_CA_PATH="+srvCA.caPath(),
			"ZDM_TARGET_TLS_CLIENT_CERT_PATH="+proxyCert.certPath, "ZDM_TARGET_TLS_CLIENT_KEY_PATH="+proxyCert.keyPath), ""},
		{"target mutual without client cert", clusters(origin.Port(), mutual, "ZDM_TARGET_TLS_SERVER_CA_PATH="+srvCA.caPath()), "TARGET over TLS"},
		{"wrong hostname", clusters(wrong, target.Port(), "ZDM_ORIGIN_TLS_SERVER_CA_PATH="+srvCA.caPath()), "ORIGIN over TLS"},
		{"wrong hostname, verification off", clusters(wrong, target.Port(), "ZDM_ORIGIN_TLS_SERVER_CA_PATH="+srvCA.caPath(),
			"ZDM_ORIGIN_TLS_SKIP_HOSTNAME_VERIFICATION=true"), ""},
		{"expired", clusters(old, target.Port(), "ZDM_ORIGIN_TLS_SERVER_CA_PATH="+srvCA.caPath()), "expired"},
		{"unknown CA", clusters(oneWay, target.Port(), "ZDM_ORIGIN_TLS_SERVER_CA_PATH="+strangerCA.caPath()), "ORIGIN over TLS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			port, logs := startProxy(t, tc.env...)
			s, err := session(port, nil)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("session: %v\n%s", err, logs.String())
				}
				defer s.Close()
				if err := s.Query("INSERT INTO ks.t (k) VALUES ('tls')").Exec(); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				s.Close()
				t.Fatal("session succeeded, want a TLS failure")
			}
			// gocql hides the server's message: read it with a raw STARTUP.
			msg := startupError(t, port)
			t.Log(msg)
			if !strings.Contains(msg, tc.wantErr) || !strings.Contains(msg, "could not reach") {
				t.Errorf("client error %q does not say %q", msg, tc.wantErr)
			}
			if !strings.Contains(logs.String(), "TLS handshake with cluster failed") || !strings.Contains(logs.String(), tc.wantErr) {
				t.Errorf("log does not explain the failure:\n%s", logs.String())
			}
		})
	}
}

func TestClientTLS(t *testing.T) {
	origin := cqltest.Start(t, cqltest.Options{Name: "origin"})
	target := cqltest.Start(t, cqltest.Options{Name: "target"})
	srvCA, cliCA := newPKI(t, "proxy-ca"), newPKI(t, "app-ca")
	proxyLeaf := srvCA.issue("proxy", "127.0.0.1", false, false)
	app := cliCA.issue("app", "", true, false)
	clusters := []string{"ZDM_ORIGIN_CONTACT_POINTS=127.0.0.1", "ZDM_ORIGIN_PORT=" + strconv.Itoa(origin.Port()),
		"ZDM_TARGET_CONTACT_POINTS=127.0.0.1", "ZDM_TARGET_PORT=" + strconv.Itoa(target.Port()),
		"ZDM_PROXY_TLS_CERT_PATH=" + proxyLeaf.certPath, "ZDM_PROXY_TLS_KEY_PATH=" + proxyLeaf.keyPath}
	withCA := func(cl *gocql.ClusterConfig) {
		cl.SslOpts = &gocql.SslOptions{CaPath: srvCA.caPath(), EnableHostVerification: true}
	}
	withCert := func(cl *gocql.ClusterConfig) {
		cl.SslOpts = &gocql.SslOptions{CaPath: srvCA.caPath(), CertPath: app.certPath, KeyPath: app.keyPath, EnableHostVerification: true}
	}

	t.Run("one-way", func(t *testing.T) {
		port, logs := startProxy(t, clusters...)
		s, err := session(port, withCA)
		if err != nil {
			t.Fatalf("%v\n%s", err, logs.String())
		}
		s.Close()
		if _, err := session(port, nil); err == nil {
			t.Fatal("plaintext client accepted by a TLS listener")
		}
	})
	t.Run("mutual", func(t *testing.T) {
		port, logs := startProxy(t, append(clusters, "ZDM_PROXY_TLS_CA_PATH="+cliCA.caPath(), "ZDM_PROXY_TLS_REQUIRE_CLIENT_AUTH=true")...)
		s, err := session(port, withCert)
		if err != nil {
			t.Fatalf("%v\n%s", err, logs.String())
		}
		s.Close()
		if s, err := session(port, withCA); err == nil {
			s.Close()
			t.Fatal("client without certificate accepted")
		}
		waitUntil(t, "the rejection logged", func() bool { return strings.Contains(logs.String(), "TLS handshake with client failed") })
	})
	// Peer proxies probe each other's port (connect, close): not a failure
	// worth a warning, unlike a client that does not speak TLS.
	t.Run("port probe", func(t *testing.T) {
		port, logs, r := startRunning(t, clusters...)
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		if _, err := session(port, nil); err == nil {
			t.Fatal("plaintext client accepted by a TLS listener")
		}
		waitUntil(t, "both connections closed", func() bool { return r.srv.Stats().ClientConnections == 0 })
		if n := strings.Count(logs.String(), "TLS handshake with client failed"); n != 1 {
			t.Fatalf("%d handshake failures logged, want 1 (the plaintext client, not the probe)\n%s", n, logs.String())
		}
	})
}

// startupError sends STARTUP and returns the message of the ERROR answer.
func startupError(t *testing.T, port int) string {
	t.Helper()
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	body := frame.AppendStringMap(nil, []string{"CQL_VERSION"}, map[string]string{"CQL_VERSION": "3.0.0"})
	if _, err := c.Write(frame.New(4, 0, 1, frame.OpStartup, body)); err != nil {
		t.Fatal(err)
	}
	f, err := frame.NewReader(c, 4096).ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	if f.Opcode() != frame.OpError {
		t.Fatalf("STARTUP answered with %s", frame.OpcodeName(f.Opcode()))
	}
	return frame.ErrorMessage(f)
}
