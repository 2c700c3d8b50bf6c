package tlsconf

import (
	"crypto/tls"
	"errors"
	"fmt"
)

// ServerFiles are the proxy_tls_* keys of the client-facing listener.
type ServerFiles struct {
	CAPath            string // proxy_tls_ca_path: CA that signs client certificates
	CertPath          string // proxy_tls_cert_path
	KeyPath           string // proxy_tls_key_path
	RequireClientAuth bool   // proxy_tls_require_client_auth
}

// Enabled reports whether any TLS key is set.
func (f ServerFiles) Enabled() bool {
	return f.CAPath != "" || f.CertPath != "" || f.KeyPath != "" || f.RequireClientAuth
}

// ServerConfig builds the listener's TLS config; nil (plaintext) when no key
// is set. With a CA, client certificates are verified against it when
// given, and required with RequireClientAuth.
func ServerConfig(f ServerFiles) (*tls.Config, error) {
	if !f.Enabled() {
		return nil, nil
	}
	if f.CertPath == "" || f.KeyPath == "" {
		return nil, errors.New("proxy TLS: proxy_tls_cert_path and proxy_tls_key_path are both required")
	}
	pair, err := loadPair(f.CertPath, f.KeyPath)
	if err != nil {
		return nil, fmt.Errorf("proxy TLS: %w", err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}
	switch {
	case f.CAPath != "":
		pool, err := loadPool(f.CAPath)
		if err != nil {
			return nil, fmt.Errorf("proxy TLS: proxy_tls_ca_path: %w", err)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		if f.RequireClientAuth {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
	case f.RequireClientAuth:
		return nil, errors.New("proxy TLS: proxy_tls_require_client_auth needs proxy_tls_ca_path")
	}
	return cfg, nil
}
