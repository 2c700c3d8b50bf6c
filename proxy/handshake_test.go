package proxy_test

import (
	"strings"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/apache/cassandra-gocql-driver/v2/lz4"
	"github.com/apache/cassandra-gocql-driver/v2/snappy"
	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy/frame"
)

func TestAuthMatrix(t *testing.T) {
	type tc struct {
		name                 string
		originAuth, tgtAuth  bool
		clientUser, clientPw string
		proxyEnv             []string
		wantErr              bool
	}
	cases := []tc{
		{name: "none"},
		{name: "origin only", originAuth: true, clientUser: "ou", clientPw: "op"},
		{name: "target only", tgtAuth: true, clientUser: "tu", clientPw: "tp"},
		{name: "both", originAuth: true, tgtAuth: true, clientUser: "tu", clientPw: "tp",
			proxyEnv: []string{"ZDM_ORIGIN_USERNAME=ou", "ZDM_ORIGIN_PASSWORD=op"}},
		{name: "origin only wrong client password", originAuth: true, clientUser: "ou", clientPw: "bad", wantErr: true},
		{name: "both wrong client password", originAuth: true, tgtAuth: true, clientUser: "tu", clientPw: "bad",
			proxyEnv: []string{"ZDM_ORIGIN_USERNAME=ou", "ZDM_ORIGIN_PASSWORD=op"}, wantErr: true},
		{name: "both wrong proxy password for origin", originAuth: true, tgtAuth: true, clientUser: "tu", clientPw: "tp",
			proxyEnv: []string{"ZDM_ORIGIN_USERNAME=ou", "ZDM_ORIGIN_PASSWORD=bad"}, wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := envOpts{extraEnv: c.proxyEnv}
			if c.originAuth {
				o.origin = cqltest.Options{Username: "ou", Password: "op"}
			}
			if c.tgtAuth {
				o.target = cqltest.Options{Username: "tu", Password: "tp"}
			}
			e := newEnv(t, o)
			cl := e.clusterConfig()
			if c.clientUser != "" {
				cl.Authenticator = gocql.PasswordAuthenticator{Username: c.clientUser, Password: c.clientPw}
			}
			s, err := cl.CreateSession()
			if c.wantErr {
				if err == nil {
					s.Close()
					t.Fatal("session created with bad credentials")
				}
				if !strings.Contains(strings.ToLower(err.Error()), "password") && !strings.Contains(strings.ToLower(err.Error()), "credential") {
					t.Fatalf("error does not look like an authentication error: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Query("INSERT INTO ks.t (k) VALUES ('a')").Exec(); err != nil {
				t.Fatal(err)
			}
			if len(e.origin.Queries("INSERT")) != 1 || len(e.target.Queries("INSERT")) != 1 {
				t.Fatal("insert did not reach both clusters")
			}
		})
	}
}

func TestProtocolVersions(t *testing.T) {
	for _, v := range []int{3, 4, 5} {
		t.Run(itoa(v), func(t *testing.T) {
			e := newEnv(t, envOpts{})
			cl := e.clusterConfig()
			cl.ProtoVersion = v
			s, err := cl.CreateSession()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", "a", "b").Exec(); err != nil {
				t.Fatal(err)
			}
			for _, c := range []*cqltest.Cluster{e.origin, e.target} {
				last := c.Received()[len(c.Received())-1]
				if int(last.Version) != v {
					t.Fatalf("%s saw protocol %d, want %d", c.Name, last.Version, v)
				}
			}
		})
	}
}

func TestTargetCappedAtV4ForcesDowngrade(t *testing.T) {
	e := newEnv(t, envOpts{target: cqltest.Options{MaxVersion: primitive.ProtocolVersion4}})
	s := e.session(t, nil) // gocql starts at v5 and must downgrade
	if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", "a", "b").Exec(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*cqltest.Cluster{e.origin, e.target} {
		last := c.Received()[len(c.Received())-1]
		if last.Version != primitive.ProtocolVersion4 {
			t.Fatalf("%s saw protocol %d, want 4", c.Name, last.Version)
		}
	}
}

func TestCompression(t *testing.T) {
	cases := []struct {
		name string
		v    int
		comp gocql.Compressor
	}{
		{"v4 lz4", 4, lz4.LZ4Compressor{}},
		{"v4 snappy", 4, snappy.SnappyCompressor{}},
		{"v3 snappy", 3, snappy.SnappyCompressor{}},
		{"v5 lz4", 5, lz4.LZ4Compressor{}},
		{"v5 uncompressed", 5, nil},
		{"v4 uncompressed", 4, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			cl := e.clusterConfig()
			cl.ProtoVersion = c.v
			cl.Compressor = c.comp
			s, err := cl.CreateSession()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			big := strings.Repeat("abcdefgh", 50_000) // > one v5 segment
			if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", "a", big).Exec(); err != nil {
				t.Fatal(err)
			}
			var cluster, value string
			if err := s.Query("SELECT cluster, value FROM ks.big WHERE k = ?", "a").Scan(&cluster, &value); err != nil {
				t.Fatal(err)
			}
			if cluster != "origin" || len(value) != cqltest.BigValueLen {
				t.Fatalf("large response: cluster %q, %d bytes", cluster, len(value))
			}
			got := e.target.Received()
			last := got[len(got)-2]
			if len(last.Values) != 2 || string(last.Values[1]) != big {
				t.Fatalf("target did not get the large value intact")
			}
		})
	}
}

func TestOptionsIsIntersection(t *testing.T) {
	e := newEnv(t, envOpts{target: cqltest.Options{MaxVersion: primitive.ProtocolVersion4}})
	c := dialRaw(t, e.addr)
	c.write(frame.New(4, 0, 7, frame.OpOptions, nil))
	f := c.read()
	if f.Opcode() != frame.OpSupported || f.Stream() != 7 {
		t.Fatalf("OPTIONS answered with %s on %d", frame.OpcodeName(f.Opcode()), f.Stream())
	}
	cur := frame.Cursor{B: f.Body()}
	m := cur.StringMultimap()
	if got := strings.Join(m["PROTOCOL_VERSIONS"], ","); got != "3/v3,4/v4" {
		t.Fatalf("PROTOCOL_VERSIONS = %q, want both clusters' common versions", got)
	}
	if got := strings.Join(m["COMPRESSION"], ","); got != "lz4,snappy" {
		t.Fatalf("COMPRESSION = %q", got)
	}
	// A v5 OPTIONS is refused because Target cannot speak v5.
	c2 := dialRaw(t, e.addr)
	c2.write(frame.New(5, 0, 8, frame.OpOptions, nil))
	f = c2.read()
	if frame.ErrorCode(f) != frame.ErrCodeProtocol || f.Stream() != 8 || !strings.Contains(frame.ErrorMessage(f), "Invalid or unsupported protocol version") {
		t.Fatalf("v5 OPTIONS: code %x stream %d msg %q", frame.ErrorCode(f), f.Stream(), frame.ErrorMessage(f))
	}
}

func TestBetaFlagPropagatesToProxyRequests(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := dialRaw(t, e.addr)
	body := frame.AppendStringMap(nil, []string{"CQL_VERSION"}, map[string]string{"CQL_VERSION": "3.0.0"})
	c.write(frame.New(5, frame.FlagBeta, 1, frame.OpStartup, body))
	if f := c.read(); f.Opcode() != frame.OpReady {
		t.Fatalf("STARTUP answered with %s", frame.OpcodeName(f.Opcode()))
	}
	c.r.SetSegmented(true)
	c.write(frame.AppendSegments(nil, frame.New(5, frame.FlagBeta, 2, frame.OpQuery, queryBody("SELECT * FROM system.local")), nil))
	if f := c.read(); f.Opcode() != frame.OpResult || f.Stream() != 2 {
		t.Fatalf("system.local answered with %s on %d", frame.OpcodeName(f.Opcode()), f.Stream())
	}
	var fetch *cqltest.Received
	for _, r := range e.origin.Received() {
		if strings.Contains(r.Query, "system.local") {
			fetch = &r
		}
	}
	if fetch == nil || fetch.Flags&primitive.HeaderFlagUseBeta == 0 {
		t.Fatalf("proxy's own system.local query lacks the beta flag: %+v", fetch)
	}
}
