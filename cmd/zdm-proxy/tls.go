package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"

	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/sockio"
	"github.com/zdmctl/zdmctl/proxy/tlsconf"
)

// clusterDialer dials Origin and Target in plain TCP or TLS, each per its
// own <cluster>_tls_* keys. A failed handshake is logged with its cause
// (expired, wrong host, unknown CA...) and returned as an error saying so,
// which the proxy sends to the client in a SERVER_ERROR.
func clusterDialer(cfg *config.Config, log *slog.Logger) (proxy.DialFunc, error) {
	var clients [2]*tlsconf.Client
	for c, f := range map[proxy.Cluster]config.ClusterTLS{proxy.Origin: cfg.OriginTLS, proxy.Target: cfg.TargetTLS} {
		cl, err := tlsconf.NewClient(clusterName(c), tlsconf.ClientFiles{ServerCAPath: f.ServerCAPath,
			ClientCertPath: f.ClientCertPath, ClientKeyPath: f.ClientKeyPath, SkipHostnameVerification: f.SkipHostnameVerification})
		if err != nil {
			return nil, fmt.Errorf("TLS to %s: %w", c, err)
		}
		clients[c] = cl
	}
	var d net.Dialer
	return func(ctx context.Context, c proxy.Cluster, addr string) (net.Conn, error) {
		raw, err := d.DialContext(ctx, "tcp", addr)
		if err != nil || clients[c] == nil {
			return raw, err
		}
		if tc, ok := raw.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		conn := tls.Client(sockio.NetConn(raw), clients[c].Config(addr))
		if err := conn.HandshakeContext(ctx); err != nil {
			raw.Close()
			why := tlsconf.Explain(err, tlsconf.AsClient)
			log.Error("TLS handshake with cluster failed", "cluster", c.String(), "address", addr, "cause", why.Kind.String(), "err", why.Error())
			return nil, fmt.Errorf("the proxy could not reach %s over TLS: %s", c, why.Error())
		}
		return &tlsClientConn{Conn: conn, cluster: c, log: log}, nil
	}, nil
}

func clusterName(c proxy.Cluster) string {
	if c == proxy.Target {
		return "target"
	}
	return "origin"
}

// clientListener wraps ln in TLS when proxy_tls_* is set; a client whose
// handshake fails is logged with the cause.
func clientListener(ln net.Listener, f config.ServerTLS, log *slog.Logger) (net.Listener, error) {
	scfg, err := tlsconf.ServerConfig(tlsconf.ServerFiles{CAPath: f.CAPath, CertPath: f.CertPath, KeyPath: f.KeyPath, RequireClientAuth: f.RequireClientAuth})
	if err != nil {
		return nil, fmt.Errorf("client TLS: %w", err)
	}
	if scfg == nil {
		return ln, nil
	}
	return &tlsListener{Listener: tls.NewListener(sockio.Listener(ln), scfg), log: log}, nil
}

type tlsListener struct {
	net.Listener
	log *slog.Logger
}

func (l *tlsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tlsServerConn{Conn: c.(*tls.Conn), log: l.log}, nil
}

// tlsServerConn runs the handshake on first Read (under the proxy's
// handshake deadline) to log why it failed.
type tlsServerConn struct {
	*tls.Conn
	once sync.Once
	log  *slog.Logger
}

func (c *tlsServerConn) Read(p []byte) (int, error) {
	c.once.Do(func() {
		if err := c.Conn.Handshake(); err != nil {
			if errors.Is(err, io.EOF) { // closed before a byte: a port probe (peer proxies, load balancers)
				c.log.Debug("client closed the connection before the TLS handshake", "client", c.RemoteAddr().String())
				return
			}
			why := tlsconf.Explain(err, tlsconf.AsServer)
			c.log.Warn("TLS handshake with client failed", "client", c.RemoteAddr().String(), "cause", why.Kind.String(), "err", why.Error())
		}
	})
	return c.Conn.Read(p)
}

// tlsClientConn explains a TLS alert on its first read: with TLS 1.3 a
// server rejects the proxy's client certificate only after the proxy's
// handshake returned.
type tlsClientConn struct {
	*tls.Conn
	cluster proxy.Cluster
	log     *slog.Logger
	read    bool
}

func (c *tlsClientConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil && !c.read {
		if why := tlsconf.Explain(err, tlsconf.AsClient); why != nil && why.Kind != tlsconf.Other {
			c.log.Error("TLS handshake with cluster failed", "cluster", c.cluster.String(), "address", c.RemoteAddr().String(), "cause", why.Kind.String(), "err", why.Error())
			err = fmt.Errorf("the proxy could not reach %s over TLS: %s", c.cluster, why.Error())
		}
	}
	c.read = true
	return n, err
}
