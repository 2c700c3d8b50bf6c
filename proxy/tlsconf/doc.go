// Package tlsconf builds the proxy's TLS configurations from its config keys
// and explains failed handshakes in one sentence.
//
// Client-facing listener (ServerFiles: proxy_tls_ca_path, proxy_tls_cert_path,
// proxy_tls_key_path, proxy_tls_require_client_auth):
//
//	scfg, err := tlsconf.ServerConfig(tlsconf.ServerFiles{...}) // nil: plaintext
//	if scfg != nil { ln = tls.NewListener(ln, scfg) }
//
// Proxy to Origin and proxy to Target, each with its own Client
// (origin_tls_server_ca_path, origin_tls_client_cert_path,
// origin_tls_client_key_path, origin_tls_skip_hostname_verification; same
// with target_):
//
//	oc, err := tlsconf.NewClient(tlsconf.ClientFiles{...}) // nil: plaintext
//	conn := tls.Client(raw, oc.Config(contactPointHost))   // ServerName = host
//
// Hostname verification is on unless SkipHostnameVerification; even then
// the chain is verified against the CA.
//
// On a handshake error (or, with TLS 1.3, the first read error: a server
// rejects a client certificate only after the client's handshake returned),
// log tlsconf.Explain(err, tlsconf.AsClient) — or AsServer on the listener —
// which names the cause: expired, wrong host, unknown CA, client
// certificate required or rejected.
package tlsconf
