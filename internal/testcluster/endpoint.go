package testcluster

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Node names one of the two clusters.
type Node string

// The two clusters scripts/cassandra.sh runs.
const (
	Origin Node = "origin"
	Target Node = "target"
)

// Default superuser of a node with PasswordAuthenticator (test-only).
const (
	Username = "cassandra"
	Password = "cassandra"
)

// Endpoint is how to reach one node.
type Endpoint struct {
	Node        Node
	ClusterName string
	Host        string
	Port        int
	StoragePort int
	Auth        bool   // PasswordAuthenticator on: use Username/Password
	Dir         string // config, data and logs of the node
}

// Addr is host:port of the node's native transport.
func (e Endpoint) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// Credentials returns the username and password to use, empty without auth.
func (e Endpoint) Credentials() (user, pass string) {
	if !e.Auth {
		return "", ""
	}
	return Username, Password
}

// Info is what `cassandra.sh info` reports.
type Info struct {
	Version string // Cassandra version, e.g. 5.0.9
	Lib     string // directory of the Cassandra jars
	// TLSCA is the PEM CA that signed both nodes' native-port certificates
	// (the port takes TLS and plain connections); TLS clients must present
	// a certificate it signed, such as TLSClientCert/TLSClientKey (PEM).
	TLSCA         string
	TLSClientCert string
	TLSClientKey  string
	Origin        Endpoint
	Target        Endpoint
}

// Endpoint returns the endpoint of node n.
func (i Info) Endpoint(n Node) Endpoint {
	if n == Target {
		return i.Target
	}
	return i.Origin
}

// parseInfo reads the key=value lines of `cassandra.sh info`.
func parseInfo(out string) (Info, error) {
	var info Info
	info.Origin.Node, info.Target.Node = Origin, Target
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return Info{}, fmt.Errorf("info line %q: no '='", line)
		}
		node, field, scoped := strings.Cut(k, ".")
		if !scoped {
			switch k {
			case "version":
				info.Version = v
			case "lib":
				info.Lib = v
			case "tls_ca":
				info.TLSCA = v
			case "tls_client_cert":
				info.TLSClientCert = v
			case "tls_client_key":
				info.TLSClientKey = v
			}
			continue
		}
		var ep *Endpoint
		switch Node(node) {
		case Origin:
			ep = &info.Origin
		case Target:
			ep = &info.Target
		default:
			continue
		}
		if err := ep.set(field, v); err != nil {
			return Info{}, fmt.Errorf("info line %q: %w", line, err)
		}
	}
	for _, ep := range []Endpoint{info.Origin, info.Target} {
		if ep.Host == "" || ep.Port == 0 {
			return Info{}, fmt.Errorf("info has no address for %s", ep.Node)
		}
	}
	return info, nil
}

func (e *Endpoint) set(field, v string) error {
	var err error
	switch field {
	case "cluster":
		e.ClusterName = v
	case "addr":
		e.Host = v
	case "port":
		e.Port, err = strconv.Atoi(v)
	case "storage_port":
		e.StoragePort, err = strconv.Atoi(v)
	case "auth":
		e.Auth = v == "1"
	case "dir":
		e.Dir = v
	}
	return err
}
