package proxy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/frame"
)

// ErrCredentialsRejected marks a cluster refusing the credentials of the
// proxy's configuration.
var ErrCredentialsRejected = errors.New("credentials rejected")

// CheckCredentials logs into every cluster whose username is configured,
// once, with the configured username and password, so a wrong password
// stops startup with a clear error instead of surfacing later (or never,
// when clients authenticate against that cluster themselves). A cluster
// that cannot be reached is only logged: the proxy may start before its
// clusters, and clients get an error naming it until it is back.
func (s *Server) CheckCredentials(ctx context.Context) error {
	var wg sync.WaitGroup
	var errs [2]error
	for c := Origin; c <= Target; c++ {
		if s.clusterCfg(c).Username == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[c] = s.checkCredentials(ctx, c)
		}()
	}
	wg.Wait()
	var bad []error
	for c := Origin; c <= Target; c++ {
		if errs[c] == nil {
			continue
		}
		if errors.Is(errs[c], ErrCredentialsRejected) {
			bad = append(bad, errs[c])
			continue
		}
		s.log.Warn("cannot check the configured credentials", "cluster", c.String(), "err", errs[c].Error())
	}
	return errors.Join(bad...)
}

// plainAuthBody is the AUTH_RESPONSE body for PasswordAuthenticator with
// cfg's credentials: [bytes] "\x00user\x00password".
func plainAuthBody(cfg config.ClusterConfig) []byte {
	n := 2 + len(cfg.Username) + len(cfg.Password)
	body := appendU32(make([]byte, 0, 4+n), uint32(n))
	body = append(body, 0)
	body = append(body, cfg.Username...)
	body = append(body, 0)
	return append(body, cfg.Password...)
}

func (s *Server) clusterCfg(c Cluster) config.ClusterConfig {
	if c == Target {
		return s.cfg.Target
	}
	return s.cfg.Origin
}

// errNoCredentials: the cluster asks for credentials and none are
// configured for it (its clients authenticate against it themselves).
var errNoCredentials = errors.New("the cluster asks for credentials and none are configured")

// checkCredentials opens a connection to c and logs in (see login).
func (s *Server) checkCredentials(ctx context.Context, c Cluster) error {
	conn, err := s.dialCluster(ctx, c)
	if err != nil {
		return err
	}
	defer conn.conn.Close()
	return s.login(conn, c)
}

// login runs STARTUP (protocol v4) on conn and, if the cluster asks for
// it, one PasswordAuthenticator round with the configured credentials.
// A refusal wraps ErrCredentialsRejected; errNoCredentials when the
// cluster asks and no username is configured.
func (s *Server) login(conn *clusterConn, c Cluster) error {
	const v = 4
	opts := map[string]string{"CQL_VERSION": "3.0.0"}
	resp, err := conn.roundTrip(frame.New(v, 0, 0, frame.OpStartup, frame.AppendStringMap(nil, []string{"CQL_VERSION"}, opts)), handshakeTimeout)
	if err != nil {
		return fmt.Errorf("%s STARTUP: %w", c, err)
	}
	s.noteAuthAnswer(c, resp)
	switch resp.Opcode() {
	case frame.OpReady:
		return nil // no authentication
	case frame.OpAuthenticate:
		if s.clusterCfg(c).Username == "" {
			return errNoCredentials
		}
	default:
		return fmt.Errorf("%s answered STARTUP with %s", c, frame.OpcodeName(resp.Opcode()))
	}
	resp, err = conn.roundTrip(frame.New(v, 0, 0, frame.OpAuthResponse, plainAuthBody(s.clusterCfg(c))), handshakeTimeout)
	if err != nil {
		return fmt.Errorf("%s AUTH_RESPONSE: %w", c, err)
	}
	token := plainAuthBody(s.clusterCfg(c))[4:]
	switch resp.Opcode() {
	case frame.OpAuthSuccess:
		s.creds[c].add(token) // a client with these credentials may log in while c is down
		return nil
	case frame.OpError:
		s.creds[c].remove(token)
		name := strings.ToLower(c.String())
		return fmt.Errorf("%s %w: %s_username/%s_password: %s", c, ErrCredentialsRejected, name, name, frame.ErrorMessage(resp))
	}
	return fmt.Errorf("%s answered the credentials with %s", c, frame.OpcodeName(resp.Opcode()))
}
