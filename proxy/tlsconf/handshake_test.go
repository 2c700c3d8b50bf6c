package tlsconf

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
)

// pki holds every file the matrix uses.
type pki struct {
	ca, otherCA                   *ca
	srvCert, srvKey               string // localhost + 127.0.0.1, by ca
	wrongCert, wrongKey           string // only other.example, by ca
	expCert, expKey               string // expired, by ca
	foreignCert, foreignKey       string // server cert by otherCA
	cliCert, cliKey               string // client cert by ca
	foreignCliCert, foreignCliKey string // client cert by otherCA
}

func newPKI(t *testing.T) *pki {
	dir := t.TempDir()
	p := &pki{ca: newCA(t, dir, "root"), otherCA: newCA(t, dir, "other")}
	lo := []net.IP{net.ParseIP("127.0.0.1")}
	p.srvCert, p.srvKey = p.ca.issue(t, dir, leafOpts{cn: "srv", dns: []string{"localhost"}, ips: lo})
	p.wrongCert, p.wrongKey = p.ca.issue(t, dir, leafOpts{cn: "wrong", dns: []string{"other.example"}})
	p.expCert, p.expKey = p.ca.issue(t, dir, leafOpts{cn: "exp", dns: []string{"localhost"}, ips: lo, expired: true})
	p.foreignCert, p.foreignKey = p.otherCA.issue(t, dir, leafOpts{cn: "foreign", dns: []string{"localhost"}, ips: lo})
	p.cliCert, p.cliKey = p.ca.issue(t, dir, leafOpts{cn: "cli", client: true})
	p.foreignCliCert, p.foreignCliKey = p.otherCA.issue(t, dir, leafOpts{cn: "foreigncli", client: true})
	return p
}

type result struct {
	clientErr, serverErr error
	peerCerts            int // client certificates the server saw
}

// handshake runs a real TLS exchange over loopback: handshake, then one
// byte each way (TLS 1.3 reports a rejected client certificate on read).
func handshake(t *testing.T, scfg, ccfg *tls.Config) result {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type srvRes struct {
		err   error
		certs int
	}
	done := make(chan srvRes, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			done <- srvRes{err: err}
			return
		}
		defer raw.Close()
		c := tls.Server(raw, scfg)
		if err := c.Handshake(); err != nil {
			done <- srvRes{err: err}
			return
		}
		buf := make([]byte, 1)
		if _, err := c.Read(buf); err != nil {
			done <- srvRes{err: err}
			return
		}
		_, err = c.Write(buf)
		done <- srvRes{err: err, certs: len(c.ConnectionState().PeerCertificates)}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Client(raw, ccfg)
	cerr := c.Handshake()
	if cerr == nil {
		if _, cerr = c.Write([]byte{1}); cerr == nil {
			_, cerr = c.Read(make([]byte, 1))
		}
	}
	c.Close()
	s := <-done
	return result{clientErr: cerr, serverErr: s.err, peerCerts: s.certs}
}

func mustServer(t *testing.T, f ServerFiles) *tls.Config {
	t.Helper()
	c, err := ServerConfig(f)
	if err != nil || c == nil {
		t.Fatalf("ServerConfig(%+v) = %v, %v", f, c, err)
	}
	return c
}

func mustClient(t *testing.T, f ClientFiles) *Client {
	t.Helper()
	c, err := NewClient("origin", f)
	if err != nil || c == nil {
		t.Fatalf("NewClient(%+v) = %v, %v", f, c, err)
	}
	return c
}

func TestNoTLS(t *testing.T) {
	s, err := ServerConfig(ServerFiles{})
	if s != nil || err != nil {
		t.Errorf("ServerConfig(empty) = %v, %v; want nil, nil", s, err)
	}
	c, err := NewClient("target", ClientFiles{SkipHostnameVerification: true})
	if c != nil || err != nil {
		t.Errorf("NewClient(empty) = %v, %v; want nil, nil", c, err)
	}
}

func TestConfigErrors(t *testing.T) {
	p := newPKI(t)
	bad := []ServerFiles{
		{CertPath: p.srvCert},
		{RequireClientAuth: true, CertPath: p.srvCert, KeyPath: p.srvKey},
		{CertPath: p.srvCert, KeyPath: p.cliKey}, // key does not match
		{CertPath: p.srvCert, KeyPath: p.srvKey, CAPath: p.srvKey},
	}
	for _, f := range bad {
		if _, err := ServerConfig(f); err == nil {
			t.Errorf("ServerConfig(%+v) accepted", f)
		}
	}
	if _, err := NewClient("target", ClientFiles{ServerCAPath: "/nonexistent/ca.pem"}); err == nil ||
		!strings.Contains(err.Error(), "target_tls_server_ca_path") {
		t.Errorf("missing CA error = %v", err)
	}
	if _, err := NewClient("origin", ClientFiles{ClientCertPath: p.cliCert}); err == nil {
		t.Error("client cert without key accepted")
	}
}

func TestHandshakeMatrix(t *testing.T) {
	p := newPKI(t)
	oneWay := ServerFiles{CertPath: p.srvCert, KeyPath: p.srvKey}
	mutual := ServerFiles{CertPath: p.srvCert, KeyPath: p.srvKey, CAPath: p.ca.path, RequireClientAuth: true}
	trustCA := ClientFiles{ServerCAPath: p.ca.path}
	withCert := ClientFiles{ServerCAPath: p.ca.path, ClientCertPath: p.cliCert, ClientKeyPath: p.cliKey}

	cases := []struct {
		name       string
		srv        ServerFiles
		cli        ClientFiles
		host       string
		wantCli    Kind // -1: success
		wantSrv    Kind // -1: success
		wantInMsg  string
		wantClient int // client certs seen by the server on success
	}{
		{name: "one-way", srv: oneWay, cli: trustCA, host: "localhost:9042", wantCli: -1, wantSrv: -1},
		{name: "one-way by IP", srv: oneWay, cli: trustCA, host: "127.0.0.1", wantCli: -1, wantSrv: -1},
		{name: "mutual", srv: mutual, cli: withCert, host: "localhost", wantCli: -1, wantSrv: -1, wantClient: 1},
		{name: "optional client cert given", srv: ServerFiles{CertPath: p.srvCert, KeyPath: p.srvKey, CAPath: p.ca.path},
			cli: withCert, host: "localhost", wantCli: -1, wantSrv: -1, wantClient: 1},
		{name: "optional client cert absent", srv: ServerFiles{CertPath: p.srvCert, KeyPath: p.srvKey, CAPath: p.ca.path},
			cli: trustCA, host: "localhost", wantCli: -1, wantSrv: -1},
		{name: "client cert missing", srv: mutual, cli: trustCA, host: "localhost",
			wantCli: ClientCertRequired, wantSrv: ClientCertRequired, wantInMsg: "requires a client certificate"},
		{name: "client cert from other CA", srv: mutual, host: "localhost",
			cli:     ClientFiles{ServerCAPath: p.ca.path, ClientCertPath: p.foreignCliCert, ClientKeyPath: p.foreignCliKey},
			wantCli: ClientCertRejected, wantSrv: UnknownCA, wantInMsg: "rejected the proxy's client certificate"},
		{name: "wrong hostname", srv: ServerFiles{CertPath: p.wrongCert, KeyPath: p.wrongKey}, cli: trustCA,
			host: "localhost", wantCli: WrongHost, wantSrv: PeerRejected, wantInMsg: `[other.example], not for "localhost"`},
		{name: "expired", srv: ServerFiles{CertPath: p.expCert, KeyPath: p.expKey}, cli: trustCA,
			host: "localhost", wantCli: Expired, wantSrv: PeerRejected, wantInMsg: "NotAfter was 20"},
		{name: "unknown CA", srv: ServerFiles{CertPath: p.foreignCert, KeyPath: p.foreignKey}, cli: trustCA,
			host: "localhost", wantCli: UnknownCA, wantSrv: PeerRejected, wantInMsg: `signed by "CN=other"`},
		{name: "skip hostname, chain ok", srv: ServerFiles{CertPath: p.wrongCert, KeyPath: p.wrongKey},
			cli: ClientFiles{ServerCAPath: p.ca.path, SkipHostnameVerification: true}, host: "localhost", wantCli: -1, wantSrv: -1},
		{name: "skip hostname, unknown CA", srv: ServerFiles{CertPath: p.foreignCert, KeyPath: p.foreignKey},
			cli: ClientFiles{ServerCAPath: p.ca.path, SkipHostnameVerification: true}, host: "localhost",
			wantCli: UnknownCA, wantSrv: PeerRejected},
		{name: "skip hostname, expired", srv: ServerFiles{CertPath: p.expCert, KeyPath: p.expKey},
			cli: ClientFiles{ServerCAPath: p.ca.path, SkipHostnameVerification: true}, host: "localhost",
			wantCli: Expired, wantSrv: PeerRejected},
		{name: "skip hostname, mutual", srv: mutual, host: "127.0.0.2",
			cli:     ClientFiles{ServerCAPath: p.ca.path, ClientCertPath: p.cliCert, ClientKeyPath: p.cliKey, SkipHostnameVerification: true},
			wantCli: -1, wantSrv: -1, wantClient: 1},
	}
	for _, tc := range cases {
		for _, maxV := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
			name := tc.name + map[uint16]string{tls.VersionTLS13: "/tls1.3", tls.VersionTLS12: "/tls1.2"}[maxV]
			t.Run(name, func(t *testing.T) {
				scfg := mustServer(t, tc.srv)
				scfg.MaxVersion = maxV
				ccfg := mustClient(t, tc.cli).Config(tc.host)
				r := handshake(t, scfg, ccfg)
				wantCli, inMsg := tc.wantCli, tc.wantInMsg
				if maxV == tls.VersionTLS12 && wantCli == ClientCertRequired {
					// TLS 1.2 has no certificate_required alert: the client
					// only learns "handshake failure".
					wantCli, inMsg = Other, "may require a client certificate"
				}
				check(t, "client", r.clientErr, AsClient, wantCli, inMsg)
				check(t, "server", r.serverErr, AsServer, tc.wantSrv, "")
				if tc.wantSrv == -1 && r.peerCerts != tc.wantClient {
					t.Errorf("server saw %d client certs, want %d", r.peerCerts, tc.wantClient)
				}
			})
		}
	}
}

func check(t *testing.T, who string, err error, side Side, want Kind, inMsg string) {
	t.Helper()
	if want == -1 {
		if err != nil {
			t.Errorf("%s: unexpected error %v", who, err)
		}
		return
	}
	ex := Explain(err, side)
	if ex == nil {
		t.Errorf("%s: handshake succeeded, want %v", who, want)
		return
	}
	t.Logf("%s: %s", who, ex.Msg)
	if ex.Kind != want {
		t.Errorf("%s: kind %v (%s; raw %v), want %v", who, ex.Kind, ex.Msg, err, want)
	}
	if inMsg != "" && !strings.Contains(ex.Msg, inMsg) {
		t.Errorf("%s: message %q lacks %q", who, ex.Msg, inMsg)
	}
}

func TestNotTLS(t *testing.T) {
	p := newPKI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		// A plaintext CQL-ish server answering garbage.
		_, _ = c.Write([]byte("\x84\x00\x00\x00\x00\x00\x00\x00\x00plain text, not TLS"))
		c.Close()
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	err = tls.Client(raw, mustClient(t, ClientFiles{ServerCAPath: p.ca.path}).Config("localhost")).Handshake()
	if ex := Explain(err, AsClient); ex == nil || ex.Kind != NotTLS {
		t.Fatalf("Explain(%v) = %+v, want not_tls", err, ex)
	}
}

func TestIndependentClusters(t *testing.T) {
	p := newPKI(t)
	origin := mustClient(t, ClientFiles{ServerCAPath: p.ca.path})
	target := mustClient(t, ClientFiles{ServerCAPath: p.otherCA.path})
	srvOrigin := mustServer(t, ServerFiles{CertPath: p.srvCert, KeyPath: p.srvKey})
	srvTarget := mustServer(t, ServerFiles{CertPath: p.foreignCert, KeyPath: p.foreignKey})
	if r := handshake(t, srvOrigin, origin.Config("localhost")); r.clientErr != nil {
		t.Errorf("origin: %v", r.clientErr)
	}
	if r := handshake(t, srvTarget, target.Config("localhost")); r.clientErr != nil {
		t.Errorf("target: %v", r.clientErr)
	}
	if r := handshake(t, srvTarget, origin.Config("localhost")); Explain(r.clientErr, AsClient).Kind != UnknownCA {
		t.Errorf("origin config against target server: %v", r.clientErr)
	}
	// Config must not leak ServerName across calls.
	if a, b := origin.Config("a:1"), origin.Config("b"); a.ServerName != "a" || b.ServerName != "b" {
		t.Errorf("ServerName %q, %q", a.ServerName, b.ServerName)
	}
}
