//go:build e2e

package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/internal/testcluster"
)

// TestProxyCassandraTLS runs every driver's script over TLS end to end:
// the driver to the proxies (proxy_tls_cert_path, a certificate for each
// proxy's address), the proxies to both real clusters with mutual TLS
// (origin_ and target_tls_server_ca_path: the test clusters' CA, each
// node's address verified; _tls_client_cert_path/_key_path: the
// certificate the clusters require). Cassandra's system_views.clients shows the proxies'
// connections encrypted.
func TestProxyCassandraTLS(t *testing.T) {
	c := sharedClusters(t)
	if c.TLSCA == "" {
		t.Fatal("cassandra.sh info gives no tls_ca")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	pki := writeProxyPKI(t, proxyFleetHosts)
	clusterTLS := map[string]string{
		"origin_tls_server_ca_path": c.TLSCA,
		"target_tls_server_ca_path": c.TLSCA,
	}
	// The clusters require a client certificate over TLS: without one the
	// handshake fails and the proxy is not ready (so the certificate in the
	// runs below is really checked).
	t.Run("no client certificate", func(t *testing.T) {
		fleet := startProxyFleet(t, c, proxyOpts{Extra: clusterTLS})
		ready := "http://" + net.JoinHostPort(proxyFleetHosts[0], "14001") + "/health/readiness"
		var code int
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			code = httpStatus(ready)
			log := fleet[0].Log()
			if code == http.StatusServiceUnavailable && strings.Contains(log, "the server requires a client certificate and none is configured") {
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
		t.Fatalf("proxy without a client certificate: readiness %d, want 503 and the proxy's 'requires a client certificate' TLS error in its log:\n%s", code, lastLines(fleet[0].Log(), 20))
	})
	opts := map[string]string{
		"origin_tls_client_cert_path": c.TLSClientCert,
		"origin_tls_client_key_path":  c.TLSClientKey,
		"target_tls_client_cert_path": c.TLSClientCert,
		"target_tls_client_key_path":  c.TLSClientKey,
		"proxy_tls_cert_path":         pki.cert,
		"proxy_tls_key_path":          pki.key,
	}
	for k, v := range clusterTLS {
		opts[k] = v
	}
	fleet := startProxyFleet(t, c, proxyOpts{Extra: opts})
	i := 0
	for _, d := range []string{"gocql", "python", "java"} {
		for _, proto := range []int{4, 5} {
			runThroughProxyWith(t, ctx, c, d, proto, fleet[i%len(fleet)].Addr, testcluster.Origin, false, clientOpts{TLSCA: pki.ca})
			i++
		}
	}

	// A client session through a proxy, open during the check: the proxy
	// holds a connection to each cluster for it (besides its control
	// connections, which log in too).
	cl := gocql.NewCluster(fleet[0].Addr)
	cl.ProtoVersion = 4
	cl.Timeout, cl.ConnectTimeout = 15*time.Second, 10*time.Second
	cl.DisableInitialHostLookup = true
	cl.SslOpts = &gocql.SslOptions{CaPath: pki.ca, EnableHostVerification: true}
	if u, p := c.Endpoint(testcluster.Target).Credentials(); u != "" {
		cl.Authenticator = gocql.PasswordAuthenticator{Username: u, Password: p}
	}
	through, err := cl.CreateSession()
	if err != nil {
		t.Fatalf("gocql over TLS through %s: %v", fleet[0].Addr, err)
	}
	defer through.Close()
	if err := through.Query("INSERT INTO e2e_proxy_gocql_v4_origin_tls.kv (id, val) VALUES (424242, 'tls')").WithContext(ctx).Exec(); err != nil {
		t.Fatalf("write over TLS through the proxy: %v", err)
	}
	for _, n := range []testcluster.Node{testcluster.Origin, testcluster.Target} {
		s := clusterSession(t, c.Endpoint(n))
		iter := s.Query("SELECT address, port, driver_name, ssl_enabled, ssl_protocol FROM system_views.clients").WithContext(ctx).Iter()
		var enabled bool
		var proto, driver string
		var addr net.IP
		var port int
		tls, plain := 0, 0
		for iter.Scan(&addr, &port, &driver, &enabled, &proto) {
			t.Logf("%s client %s:%d driver %q ssl=%v %s", n, addr, port, driver, enabled, proto)
			if enabled {
				tls++
			} else {
				plain++
			}
		}
		if err := iter.Close(); err != nil {
			t.Fatalf("%s: system_views.clients: %v", n, err)
		}
		t.Logf("%s: %d TLS client connections, %d plain (this test's own)", n, tls, plain)
		if tls == 0 {
			t.Errorf("%s: no TLS client connection while TLS proxies run: the proxies did not connect over TLS", n)
		}
	}
}

type proxyPKI struct{ ca, cert, key string }

// writeProxyPKI makes a CA and one certificate for all of ips (PEM files).
func writeProxyPKI(t *testing.T, ips []string) proxyPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "zdmctl e2e proxy CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "zdm-proxy"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, ip := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := proxyPKI{ca: filepath.Join(dir, "ca.pem"), cert: filepath.Join(dir, "proxy.pem"), key: filepath.Join(dir, "proxy.key")}
	for path, block := range map[string]*pem.Block{
		p.ca:   {Type: "CERTIFICATE", Bytes: caDER},
		p.cert: {Type: "CERTIFICATE", Bytes: der},
		p.key:  {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// httpStatus is the status code of GET url, 0 when it cannot be fetched.
func httpStatus(url string) int {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
