package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
)

// ClientFiles are the <cluster>_tls_* keys of one backend cluster.
type ClientFiles struct {
	ServerCAPath             string // <cluster>_tls_server_ca_path; empty: system roots
	ClientCertPath           string // <cluster>_tls_client_cert_path (mTLS)
	ClientKeyPath            string // <cluster>_tls_client_key_path (mTLS)
	SkipHostnameVerification bool   // <cluster>_tls_skip_hostname_verification
}

// Enabled reports whether TLS to the cluster is configured.
func (f ClientFiles) Enabled() bool {
	return f.ServerCAPath != "" || f.ClientCertPath != "" || f.ClientKeyPath != ""
}

// Client makes the TLS configs of connections to one cluster.
type Client struct {
	base *tls.Config
}

// NewClient loads the files; nil Client (plaintext) when none is set.
// name ("origin", "target") only prefixes errors.
func NewClient(name string, f ClientFiles) (*Client, error) {
	if !f.Enabled() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.ServerCAPath != "" {
		pool, err := loadPool(f.ServerCAPath)
		if err != nil {
			return nil, fmt.Errorf("%s TLS: %s_tls_server_ca_path: %w", name, name, err)
		}
		cfg.RootCAs = pool
	}
	if f.ClientCertPath != "" || f.ClientKeyPath != "" {
		pair, err := loadPair(f.ClientCertPath, f.ClientKeyPath)
		if err != nil {
			return nil, fmt.Errorf("%s TLS: client certificate: %w", name, err)
		}
		// Always present the configured certificate, even when the server's
		// list of acceptable CAs does not name its issuer (crypto/tls would
		// then send none): the server's rejection names the real problem.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &pair, nil
		}
	}
	if f.SkipHostnameVerification {
		// Go verifies chain and name together; to skip only the name we turn
		// its check off and verify the chain ourselves.
		cfg.InsecureSkipVerify = true
		cfg.VerifyPeerCertificate = verifyChainOnly(cfg)
	}
	return &Client{base: cfg}, nil
}

// Config returns the TLS config for a connection to host (a contact point
// or node address, with or without port): ServerName is host, so the
// certificate must name it unless hostname verification is skipped.
func (c *Client) Config(host string) *tls.Config {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	cfg := c.base.Clone()
	cfg.ServerName = host
	return cfg
}

func verifyChainOnly(cfg *tls.Config) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("tls: server sent no certificate")
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, r := range raw {
			c, err := x509.ParseCertificate(r)
			if err != nil {
				return fmt.Errorf("tls: parse server certificate: %w", err)
			}
			certs[i] = c
		}
		opts := x509.VerifyOptions{
			Roots:         cfg.RootCAs, // nil: system roots
			Intermediates: x509.NewCertPool(),
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		if cfg.Time != nil {
			opts.CurrentTime = cfg.Time()
		}
		for _, c := range certs[1:] {
			opts.Intermediates.AddCert(c)
		}
		_, err := certs[0].Verify(opts)
		return err
	}
}
