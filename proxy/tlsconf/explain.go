package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Side is the proxy's role in the handshake being explained.
type Side int

// AsClient: the proxy dialled a cluster. AsServer: a client dialled the proxy.
const (
	AsClient Side = iota
	AsServer
)

// Kind is the cause of a failed handshake.
type Kind int

// Handshake failure causes.
const (
	Other              Kind = iota
	Expired                 // peer certificate expired (or not yet valid)
	WrongHost               // peer certificate does not name the host dialled
	UnknownCA               // peer certificate not signed by a trusted CA
	ClientCertRequired      // the server wanted a client certificate, none was sent
	ClientCertRejected      // the server refused the client certificate
	PeerRejected            // the client refused the proxy's certificate
	NotTLS                  // the peer does not speak TLS
)

var kindNames = [...]string{"other", "expired", "wrong_host", "unknown_ca",
	"client_cert_required", "client_cert_rejected", "peer_rejected", "not_tls"}

// String is a short snake_case name, usable as a log attribute.
func (k Kind) String() string { return kindNames[k] }

// Explanation is a classified handshake error. Error is one sentence.
type Explanation struct {
	Kind Kind
	Msg  string
	Err  error
}

func (e *Explanation) Error() string { return e.Msg }
func (e *Explanation) Unwrap() error { return e.Err }

// Explain classifies a TLS handshake (or first read) error; nil for nil.
func Explain(err error, side Side) *Explanation {
	if err == nil {
		return nil
	}
	peer, local := "server", "client"
	if side == AsServer {
		peer, local = "client", "server"
	}
	ex := func(k Kind, format string, a ...any) *Explanation {
		return &Explanation{Kind: k, Msg: fmt.Sprintf(format, a...), Err: err}
	}

	if cie, ok := errors.AsType[x509.CertificateInvalidError](err); ok && cie.Reason == x509.Expired {
		c := cie.Cert
		if time.Now().Before(c.NotBefore) {
			return ex(Expired, "the %s certificate %s is not valid yet: NotBefore is %s",
				peer, describe(c), c.NotBefore.UTC().Format(time.RFC3339))
		}
		return ex(Expired, "the %s certificate %s expired: NotAfter was %s",
			peer, describe(c), c.NotAfter.UTC().Format(time.RFC3339))
	}
	if he, ok := errors.AsType[x509.HostnameError](err); ok {
		return ex(WrongHost, "the %s certificate is valid for %s, not for %q (fix the contact point or the certificate's SANs, or turn hostname verification off)",
			peer, names(he.Certificate), he.Host)
	}
	if ue, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		issuer := "an unknown issuer"
		if ue.Cert != nil {
			issuer = fmt.Sprintf("%q", ue.Cert.Issuer.String())
		}
		return ex(UnknownCA, "the %s certificate %s is signed by %s, which is not the configured CA",
			peer, describe(ue.Cert), issuer)
	}
	if side == AsServer && strings.Contains(err.Error(), "didn't provide a certificate") {
		return ex(ClientCertRequired, "the client sent no certificate but proxy_tls_require_client_auth is on")
	}
	if alert, ok := remoteAlert(err); ok {
		switch {
		case side == AsClient && alert == "certificate required":
			return ex(ClientCertRequired, "the server requires a client certificate and none is configured")
		case side == AsClient && isCertAlert(alert):
			return ex(ClientCertRejected, "the server rejected the proxy's client certificate (%s)", alert)
		case side == AsServer && isCertAlert(alert):
			return ex(PeerRejected, "the client rejected the proxy's certificate (%s): check the CA the client trusts and the name it dials", alert)
		}
		if side == AsClient && alert == "handshake failure" {
			return ex(Other, "the server aborted the TLS handshake (handshake failure): it may require a client certificate, or share no TLS version or cipher with the proxy")
		}
		return ex(Other, "the %s aborted the TLS handshake: %s", peer, alert)
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return ex(NotTLS, "the %s does not speak TLS (is TLS enabled on both ends?)", peer)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ex(Other, "the %s closed the connection during the TLS handshake (it may not speak TLS, or may have rejected the %s's certificate)", peer, local)
	}
	return ex(Other, "TLS handshake with the %s failed: %v", peer, err)
}

// remoteAlert returns the text of a TLS alert received from the peer
// ("bad certificate"...); crypto/tls reports them as net.OpError{Op:
// "remote error"} around an unexported alert type.
func remoteAlert(err error) (string, bool) {
	oe, ok := errors.AsType[*net.OpError](err)
	if !ok || oe.Op != "remote error" || oe.Err == nil {
		return "", false
	}
	return strings.TrimPrefix(oe.Err.Error(), "tls: "), true
}

func isCertAlert(a string) bool {
	switch a {
	case "bad certificate", "unknown certificate authority", "expired certificate",
		"certificate unknown", "revoked certificate", "unsupported certificate",
		"certificate required", "access denied":
		return true
	}
	return false
}

func describe(c *x509.Certificate) string {
	if c == nil {
		return "(none)"
	}
	if c.Subject.CommonName != "" {
		return fmt.Sprintf("%q", "CN="+c.Subject.CommonName)
	}
	return fmt.Sprintf("%q", c.Subject.String())
}

func names(c *x509.Certificate) string {
	if c == nil {
		return "no names"
	}
	var n []string
	n = append(n, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		n = append(n, ip.String())
	}
	if len(n) == 0 {
		if c.Subject.CommonName != "" {
			return fmt.Sprintf("no SAN (only CN %q, which is not used for verification)", c.Subject.CommonName)
		}
		return "no names"
	}
	return "[" + strings.Join(n, ", ") + "]"
}
