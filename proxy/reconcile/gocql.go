package reconcile

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/journal"
)

// rawValue hands gocql a value already in protocol encoding.
type rawValue []byte

func (v rawValue) MarshalCQL(gocql.TypeInfo) ([]byte, error) { return v, nil }

// Gocql is an Executor talking to the clusters of a proxy config with the
// gocql driver (credentials, TLS and local datacenter from the config).
type Gocql struct {
	cfg     *config.Config
	timeout time.Duration

	mu       sync.Mutex
	sessions map[string]*gocql.Session // cluster + "/" + keyspace
}

// NewGocql returns an executor for cfg's clusters; Close it after use.
func NewGocql(cfg *config.Config) *Gocql {
	return &Gocql{cfg: cfg, timeout: 10 * time.Second, sessions: map[string]*gocql.Session{}}
}

func (g *Gocql) session(cluster, keyspace string) (*gocql.Session, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := cluster + "/" + keyspace
	if s := g.sessions[key]; s != nil {
		return s, nil
	}
	cc, tls := g.cfg.Origin, g.cfg.OriginTLS
	if cluster == config.ClusterTarget {
		cc, tls = g.cfg.Target, g.cfg.TargetTLS
	} else if cluster != config.ClusterOrigin {
		return nil, fmt.Errorf("unknown cluster %q in the journal", cluster)
	}
	cl := gocql.NewCluster(cc.ContactPoints...)
	cl.Port = cc.Port
	cl.Keyspace = keyspace
	cl.Timeout = g.timeout
	cl.ConnectTimeout = g.timeout
	cl.NumConns = 1
	cl.MaxWaitSchemaAgreement = g.timeout
	cl.Metadata.CacheMode = gocql.Disabled // a replay needs no schema metadata
	// The contact points only: any node coordinates a write, and nodes may
	// advertise addresses this host does not reach (NAT, containers).
	cl.DisableInitialHostLookup = true
	if cc.Username != "" {
		cl.Authenticator = gocql.PasswordAuthenticator{Username: cc.Username, Password: cc.Password}
	}
	if tls.ServerCAPath != "" || tls.ClientCertPath != "" {
		cl.SslOpts = &gocql.SslOptions{CaPath: tls.ServerCAPath, CertPath: tls.ClientCertPath, KeyPath: tls.ClientKeyPath,
			EnableHostVerification: !tls.SkipHostnameVerification}
	}
	if cc.LocalDatacenter != "" {
		cl.PoolConfig.HostSelectionPolicy = gocql.DCAwareRoundRobinPolicy(cc.LocalDatacenter)
	}
	s, err := cl.CreateSession()
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", cluster, err)
	}
	g.sessions[key] = s
	return s, nil
}

// Healthy runs a read of system.local on cluster.
func (g *Gocql) Healthy(ctx context.Context, cluster string) error {
	s, err := g.session(cluster, "")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	return s.Query("SELECT release_version FROM system.local").WithContext(ctx).Iter().Close()
}

func args(st journal.Statement) []any {
	out := make([]any, 0, len(st.Values))
	for i, v := range st.Values {
		var a any = rawValue(v.B)
		if v.Unset {
			a = gocql.UnsetValue
		}
		if i < len(st.Names) {
			a = gocql.NamedValue(st.Names[i], a)
		}
		out = append(out, a)
	}
	return out
}

// Exec sends rec with its original timestamp and consistency.
func (g *Gocql) Exec(ctx context.Context, rec journal.Record) error {
	if rec.Kind != journal.Replayable {
		return fmt.Errorf("record is %s, not replayable", rec.Kind)
	}
	s, err := g.session(rec.Cluster, rec.Keyspace)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	cl := gocql.Consistency(rec.Consistency)
	if rec.BatchType == journal.NoBatch {
		if len(rec.Statements) != 1 {
			return fmt.Errorf("record with %d statements and no batch type", len(rec.Statements))
		}
		st := rec.Statements[0]
		return classify(s.Query(st.Query, args(st)...).Consistency(cl).WithTimestamp(rec.Timestamp).WithContext(ctx).Exec())
	}
	b := s.Batch(gocql.BatchType(rec.BatchType)).Consistency(cl).WithTimestamp(rec.Timestamp).WithContext(ctx)
	for _, st := range rec.Statements {
		b.Query(st.Query, args(st)...)
	}
	return classify(b.Exec())
}

// refusedError is a cluster's INVALID or SYNTAX answer: it would refuse
// the record again.
type refusedError struct{ err error }

func (e refusedError) Error() string { return e.err.Error() }
func (e refusedError) Unwrap() error { return e.err }
func (e refusedError) Refused() bool { return true }

func classify(err error) error {
	var re gocql.RequestError
	if errors.As(err, &re) && (re.Code() == gocql.ErrCodeInvalid || re.Code() == gocql.ErrCodeSyntax) {
		return refusedError{err}
	}
	return err
}

// Close closes every session.
func (g *Gocql) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, s := range g.sessions {
		s.Close()
		delete(g.sessions, k)
	}
}
