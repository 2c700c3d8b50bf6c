// Package cqltest provides in-memory fake Cassandra clusters for tests. Each
// Cluster is a go-cassandra-native-protocol CqlServer with a handler that
// answers the handshake (optionally with PasswordAuthenticator), system
// tables, USE, QUERY, PREPARE/EXECUTE and BATCH, records every request it
// receives, and has failure knobs (error, delay, never answer, drop).
package cqltest

import (
	"crypto/md5"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/datastax/go-cassandra-native-protocol/client"
	"github.com/datastax/go-cassandra-native-protocol/message"
	"github.com/datastax/go-cassandra-native-protocol/primitive"
)

// Received is one request as the fake cluster saw it.
type Received struct {
	Opcode   primitive.OpCode
	Version  primitive.ProtocolVersion
	Flags    primitive.HeaderFlag
	Query    string   // QUERY / PREPARE text, or the prepared query of EXECUTE
	ID       []byte   // EXECUTE prepared id
	MetaID   []byte   // v5 EXECUTE result_metadata_id
	Children []string // BATCH children queries (prepared resolved)
	// ChildValues are the BATCH children's bound values, one entry per
	// child in Children's order (nil for a child without values).
	ChildValues [][][]byte
	Keyspace    string   // keyspace of the connection when received
	Values      [][]byte // bound values (EXECUTE / QUERY)
	Paged       bool     // carried a paging state
	// Timestamp is the client (default) timestamp of a QUERY, EXECUTE or
	// BATCH, nil when the request carried none; Consistency its consistency.
	Timestamp   *int64
	Consistency primitive.ConsistencyLevel
}

// Action tells the fake how to answer a request. The zero value answers
// normally.
type Action struct {
	Delay    time.Duration
	NoAnswer bool  // never answer
	Drop     bool  // close the TCP connection instead of answering
	Error    error // answer with this error message (see ErrorCode)
	// ErrorCode selects the error: 0 => SERVER_ERROR, or one of the
	// ErrCode* constants below.
	ErrorCode int
}

// Error codes for Action.ErrorCode.
const (
	ErrCodeServer      = 0x0000
	ErrCodeOverloaded  = 0x1001
	ErrCodeInvalid     = 0x2200
	ErrCodeUnavailable = 0x1000
)

// Cluster is one fake cluster (a single node).
type Cluster struct {
	Name string
	Addr string
	// MaxVersion is the highest protocol version answered (default 5).
	MaxVersion primitive.ProtocolVersion
	// IDSalt makes prepared ids differ between clusters.
	IDSalt string

	server *server
	creds  *client.AuthCredentials

	mu       sync.Mutex
	received []Received
	prepared map[string]string
	hook     func(Received) Action
	rows     func(Received) *message.RowsResult // SetRows
	conns    int
	startups int
}

// Options configure a fake cluster.
type Options struct {
	Name       string
	MaxVersion primitive.ProtocolVersion
	Username   string // non-empty enables PasswordAuthenticator
	Password   string
	IDSalt     string
	// Listen is the address to listen on; default 127.0.0.1:0.
	Listen string
}

// Start runs a fake cluster on a random loopback port until the test ends.
func Start(t testing.TB, o Options) *Cluster {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// New runs a fake cluster outside a test (demos, e2e fixtures listening on
// a bridge address) until Close.
func New(o Options) (*Cluster, error) {
	listen := o.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("fake cluster %s: listen on %s: %w", o.Name, listen, err)
	}
	addr := ln.Addr().String()
	c := &Cluster{Name: o.Name, Addr: addr, MaxVersion: o.MaxVersion, IDSalt: o.IDSalt, prepared: map[string]string{}}
	if c.MaxVersion == 0 {
		c.MaxVersion = primitive.ProtocolVersion5
	}
	if o.Username != "" {
		c.creds = &client.AuthCredentials{Username: o.Username, Password: o.Password}
	}
	c.server = &server{ln: ln, handle: c.handle, conns: map[*Conn]struct{}{}}
	c.server.wg.Add(1)
	go c.server.serve()
	return c, nil
}

// Close stops the fake cluster and closes its connections.
func (c *Cluster) Close() { c.server.close() }

// Host and Port split Addr.
func (c *Cluster) Host() string { h, _, _ := net.SplitHostPort(c.Addr); return h }

// Port of the fake cluster.
func (c *Cluster) Port() int {
	_, p, _ := net.SplitHostPort(c.Addr)
	var n int
	fmt.Sscan(p, &n)
	return n
}

// SetHook installs a function deciding how to answer each request (nil
// restores normal answers). It is not consulted for the handshake.
// SetCredentials changes the username and password the cluster accepts
// from now on (a password rotated on a running cluster); it must have
// been started with a Username.
func (c *Cluster) SetCredentials(username, password string) {
	c.mu.Lock()
	c.creds = &client.AuthCredentials{Username: username, Password: password}
	c.mu.Unlock()
}

func (c *Cluster) SetHook(h func(Received) Action) {
	c.mu.Lock()
	c.hook = h
	c.mu.Unlock()
}

// Received returns a copy of every request recorded so far.
func (c *Cluster) Received() []Received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Received(nil), c.received...)
}

// Queries returns the recorded query texts (QUERY, EXECUTE, BATCH children)
// containing substr.
func (c *Cluster) Queries(substr string) []string {
	var out []string
	for _, r := range c.Received() {
		if r.Opcode == primitive.OpCodePrepare {
			continue
		}
		for _, q := range append([]string{r.Query}, r.Children...) {
			if q != "" && strings.Contains(q, substr) {
				out = append(out, q)
			}
		}
	}
	return out
}

// Count returns how many recorded requests have opcode op and a query
// containing substr.
func (c *Cluster) Count(op primitive.OpCode, substr string) int {
	n := 0
	for _, r := range c.Received() {
		if r.Opcode == op && strings.Contains(r.Query, substr) {
			n++
		}
	}
	return n
}

// Reset forgets recorded requests.
func (c *Cluster) Reset() {
	c.mu.Lock()
	c.received = nil
	c.mu.Unlock()
}

// ForgetPrepared drops every prepared statement (like a node restart), so
// the next EXECUTE gets UNPREPARED.
func (c *Cluster) ForgetPrepared() {
	c.mu.Lock()
	c.prepared = map[string]string{}
	c.mu.Unlock()
}

// Startups is how many STARTUP requests the cluster answered.
func (c *Cluster) Startups() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.startups
}

func (c *Cluster) preparedID(q string) []byte {
	h := md5.Sum([]byte(c.IDSalt + "|" + q))
	return h[:]
}

func (c *Cluster) metaID(q string) []byte {
	h := md5.Sum([]byte("meta|" + c.IDSalt + "|" + q))
	return h[:8]
}
