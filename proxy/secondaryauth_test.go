package proxy_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/journal"
)

// authEnv: both clusters ask for credentials; clients use Target's
// (app/apppw), the proxy logs into Origin as ou/op.
func authEnv(t *testing.T, mode string, extra ...string) *env {
	t.Helper()
	set, err := journal.OpenSet(t.TempDir(), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	return newEnv(t, envOpts{journal: set,
		origin: cqltest.Options{Username: "ou", Password: "op"},
		target: cqltest.Options{Username: "app", Password: "apppw"},
		extraEnv: append([]string{"ZDM_WRITE_MODE=" + mode, "ZDM_JOURNAL_DIR=/unused-by-proxy.New", "ZDM_PROXY_REQUEST_TIMEOUT_MS=300",
			"ZDM_ORIGIN_USERNAME=ou", "ZDM_ORIGIN_PASSWORD=op"}, extra...)})
}

func (e *env) login(user, pw string) (*gocql.Session, error) {
	cl := e.clusterConfig()
	cl.Authenticator = gocql.PasswordAuthenticator{Username: user, Password: pw}
	return cl.CreateSession()
}

func (e *env) mustLogin(t *testing.T, user, pw string) *gocql.Session {
	t.Helper()
	s, err := e.login(user, pw)
	if err != nil {
		t.Fatalf("login as %s through the proxy: %v", user, err)
	}
	t.Cleanup(s.Close)
	return s
}

func (e *env) refused(t *testing.T, user, pw string) {
	t.Helper()
	if s, err := e.login(user, pw); err == nil {
		s.Close()
		t.Fatalf("login as %s/%s accepted", user, pw)
	}
}

// restartTargetWithAuth starts the fake Target again on its address,
// accepting user/pw.
func restartTargetWithAuth(t *testing.T, e *env, addr, user, pw string) {
	t.Helper()
	c, err := cqltest.New(cqltest.Options{Name: "target", IDSalt: "t", Listen: addr, Username: user, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	e.target = c
}

// Target stopped in DUAL_ASYNC_ON_SECONDARY: a client whose credentials
// Target accepted earlier logs in; other credentials are not let in.
func TestAsyncLoginTargetStoppedKnownCredentials(t *testing.T) {
	e := authEnv(t, "DUAL_ASYNC_ON_SECONDARY") // no target_username: only client logins teach the proxy
	s1 := e.mustLogin(t, "app", "apppw")
	if errs := writeLoad(s1, 3); len(errs) != 0 {
		t.Fatal(errs[0])
	}
	e.target.Close()
	s2 := e.mustLogin(t, "app", "apppw")
	if errs := writeLoad(s2, 6); len(errs) != 0 {
		t.Fatalf("%d errors on a session opened with Target stopped, first: %v", len(errs), errs[0])
	}
	if e.srv.SecondaryWrites().Journaled < 6 {
		t.Fatalf("journaled %d, want the 6 writes", e.srv.SecondaryWrites().Journaled)
	}
	e.refused(t, "app", "wrong")    // wrong password
	e.refused(t, "nobody", "apppw") // unknown user
	e.refused(t, "app", "")
	// Credentials Origin itself accepts are checked by Origin, as before.
	e.mustLogin(t, "ou", "op")
}

// A proxy whose Target never accepted the client's credentials does not
// let them in while Target is down (here: after a restart during the
// outage).
func TestAsyncLoginTargetStoppedUnknownCredentials(t *testing.T) {
	e := authEnv(t, "DUAL_ASYNC_ON_SECONDARY")
	// Target asked for credentials (the proxy learns it at the first
	// login, or from its control connection), then went down.
	e.refused(t, "ou", "op") // checked by Target, which refuses them
	e.target.Close()
	e.refused(t, "app", "apppw")
}

// Target back: the connection admitted while it was down logs into it with
// the client's credentials and serves writes to it again.
func TestAsyncLoginTargetBack(t *testing.T) {
	// target_username: the connections opened with Target up reconnect with it.
	e := authEnv(t, "DUAL_ASYNC_ON_SECONDARY", "ZDM_TARGET_USERNAME=app", "ZDM_TARGET_PASSWORD=apppw")
	e.mustLogin(t, "app", "apppw")
	addr := e.target.Addr
	e.target.Close()
	s := e.mustLogin(t, "app", "apppw")
	waitFor(t, "client connections without Target", func() bool { return e.srv.SecondaryWrites().Disconnected > 0 })
	restartTargetWithAuth(t, e, addr, "app", "apppw")
	waitFor(t, "every client connection to log into Target again", func() bool { return e.srv.SecondaryWrites().Disconnected == 0 })
	waitFor(t, "writes to reach Target", func() bool {
		if errs := writeLoad(s, 1); len(errs) != 0 {
			t.Fatal(errs[0])
		}
		return toTarget(e) > 0
	})
}

// Target back with the password changed meanwhile: the connection admitted
// with the old one is closed, and the old password no longer logs in.
func TestAsyncLoginTargetBackPasswordChanged(t *testing.T) {
	e := authEnv(t, "DUAL_ASYNC_ON_SECONDARY")
	e.mustLogin(t, "app", "apppw")
	addr := e.target.Addr
	e.target.Close()
	e.mustLogin(t, "app", "apppw")
	n := e.srv.Stats().ClientConnections
	restartTargetWithAuth(t, e, addr, "app", "rotated")
	waitFor(t, "the connections admitted with the old password to close", func() bool { return e.srv.Stats().ClientConnections < n })
	e.refused(t, "app", "apppw")
	e.mustLogin(t, "app", "rotated")
}

func TestDualSyncLoginTargetStoppedFails(t *testing.T) {
	e := authEnv(t, "DUAL_SYNC")
	e.mustLogin(t, "app", "apppw")
	e.target.Close()
	e.refused(t, "app", "apppw")
}

// Only Target asks for credentials (the e2e clusters' setup): with Target
// down a client still has to present credentials Target accepted; before,
// it got READY without any.
func TestAsyncLoginOnlyTargetAuthStopped(t *testing.T) {
	set, err := journal.OpenSet(t.TempDir(), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	e := newEnv(t, envOpts{journal: set,
		target:   cqltest.Options{Username: "app", Password: "apppw"},
		extraEnv: []string{"ZDM_WRITE_MODE=DUAL_ASYNC_ON_SECONDARY", "ZDM_JOURNAL_DIR=/unused-by-proxy.New"}})
	e.mustLogin(t, "app", "apppw")
	e.target.Close()
	s := e.mustLogin(t, "app", "apppw")
	if errs := writeLoad(s, 3); len(errs) != 0 {
		t.Fatal(errs[0])
	}
	e.refused(t, "app", "wrong")
	e.refused(t, "someone", "apppw")
	cl := e.clusterConfig() // no credentials at all
	if s, err := cl.CreateSession(); err == nil {
		s.Close()
		t.Fatal("a client without credentials logged in with Target down")
	}
}

// A proxy started while Target is down has not seen it: with
// target_username configured it takes Target to ask for credentials and,
// having verified none, refuses logins until Target is back; without it,
// it knows nothing and clients log in as before (Origin alone decides).
func TestAsyncLoginTargetDownSinceStart(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    []string
		admits bool
	}{
		{"target_username configured", []string{"ZDM_TARGET_USERNAME=app", "ZDM_TARGET_PASSWORD=apppw"}, false},
		{"no target_username", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := journal.OpenSet(t.TempDir(), journal.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { set.Close() })
			e := newEnv(t, envOpts{journal: set,
				target: cqltest.Options{Username: "app", Password: "apppw"},
				lateEnv: func(e *env) []string {
					e.target.Close() // before the proxy starts
					return nil
				},
				extraEnv: append([]string{"ZDM_WRITE_MODE=DUAL_ASYNC_ON_SECONDARY", "ZDM_JOURNAL_DIR=/unused-by-proxy.New"}, tc.env...)})
			s, err := e.login("app", "apppw")
			if err == nil {
				s.Close()
			}
			if (err == nil) != tc.admits {
				t.Fatalf("login with Target down since the proxy started: err=%v, want admitted=%v", err, tc.admits)
			}
		})
	}
}

// stallConn swallows the AUTH_RESPONSE frames (protocol v4) written to a
// cluster while stall is set: the cluster never answers the credentials.
type stallConn struct {
	net.Conn
	stall *atomic.Bool
}

func (c stallConn) Write(b []byte) (int, error) {
	if c.stall.Load() && len(b) >= 9 && b[4] == 0x0F {
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// Target up but not answering the credentials (a stalled node): a client
// whose credentials it accepted before is admitted after the short wait; a
// wrong password is not.
func TestAsyncLoginTargetStallsOnCredentials(t *testing.T) {
	defer proxy.SetSecondaryAuthWait(200 * time.Millisecond)()
	var stall atomic.Bool
	var d net.Dialer
	set, err := journal.OpenSet(t.TempDir(), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	e := newEnv(t, envOpts{journal: set,
		origin: cqltest.Options{Username: "ou", Password: "op"},
		target: cqltest.Options{Username: "app", Password: "apppw"},
		dial: func(ctx context.Context, c proxy.Cluster, addr string) (net.Conn, error) {
			conn, err := d.DialContext(ctx, "tcp", addr)
			if err != nil || c != proxy.Target {
				return conn, err
			}
			return stallConn{conn, &stall}, nil
		},
		extraEnv: []string{"ZDM_WRITE_MODE=DUAL_ASYNC_ON_SECONDARY", "ZDM_JOURNAL_DIR=/unused-by-proxy.New",
			"ZDM_ORIGIN_USERNAME=ou", "ZDM_ORIGIN_PASSWORD=op"}})
	login := func(user, pw string) (*gocql.Session, error) {
		cl := e.clusterConfig()
		cl.ProtoVersion = 4
		cl.ConnectTimeout = 2 * time.Second
		cl.Authenticator = gocql.PasswordAuthenticator{Username: user, Password: pw}
		return cl.CreateSession()
	}
	s1, err := login("app", "apppw")
	if err != nil {
		t.Fatal(err)
	}
	s1.Close()
	stall.Store(true)
	s2, err := login("app", "apppw")
	if err != nil {
		t.Fatalf("login with Target not answering the credentials: %v", err)
	}
	defer s2.Close()
	if errs := writeLoad(s2, 3); len(errs) != 0 {
		t.Fatal(errs[0])
	}
	if e.srv.SecondaryWrites().Disconnected == 0 {
		t.Fatal("the admitted connection is not counted as without its secondary")
	}
	if s, err := login("app", "wrong"); err == nil {
		s.Close()
		t.Fatal("a wrong password was admitted with Target stalled")
	}
	stall.Store(false)
	waitFor(t, "the admitted connections to log into Target", func() bool { return e.srv.SecondaryWrites().Disconnected == 0 })
}
