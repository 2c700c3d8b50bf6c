// Package gocqlmatrix runs the driver compatibility script with gocql v2
// against one contact point. The same script exists for the DataStax Python
// and Java drivers (e2e/drivers/python, e2e/drivers/java); all three print one
// "PASS <step>" or "FAIL <step>: <why>" line per step and a final RESULT line,
// so a proxy can be proven against real clients by comparing their output.
package gocqlmatrix

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/apache/cassandra-gocql-driver/v2/lz4"
	"github.com/apache/cassandra-gocql-driver/v2/snappy"
)

// Config says where and how to connect.
type Config struct {
	Contact  string // host:port
	Username string // empty: no authentication
	Password string
	Proto    int    // 4 or 5; 0 lets the driver negotiate
	Keyspace string // created (dropped first if it exists) by the script
	// Compression is "", "lz4" or "snappy" (snappy: protocol v4 and below).
	Compression string
	// TLSCA, when set, connects over TLS and verifies the contact point's
	// certificate (and its address) with this PEM CA file.
	TLSCA string
	Out   io.Writer
}

// versionObserver records the protocol version of the frames the driver reads.
type versionObserver struct{ v atomic.Int32 }

func (o *versionObserver) ObserveFrameHeader(_ context.Context, h gocql.ObservedFrameHeader) {
	o.v.Store(int32(byte(h.Version) & 0x7f))
}

type runner struct {
	cfg  Config
	cl   *gocql.ClusterConfig
	s    *gocql.Session
	obs  *versionObserver
	ks   string
	fail error
}

// Run executes every step in order, stops at the first failure, and returns
// an error naming it.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Keyspace == "" {
		cfg.Keyspace = "zdm_matrix_gocql"
	}
	r := &runner{cfg: cfg, obs: &versionObserver{}, ks: cfg.Keyspace}
	r.cl = r.cluster("")
	steps := []struct {
		name string
		fn   func(context.Context) (string, error)
	}{
		{"connect", r.connect},
		{"schema", r.schema},
		{"simple-insert", r.simpleInsert},
		{"prepared-insert", r.preparedInsert},
		{"update", r.update},
		{"delete", r.delete},
		{"logged-batch", r.loggedBatch},
		{"lwt", r.lwt},
		{"counter", r.counter},
		{"paging", r.paging},
		{"collections-udt", r.collectionsUDT},
		{"use-keyspace", r.useKeyspace},
		{"alter-table", r.alterTable},
	}
	defer func() {
		if r.s != nil {
			r.s.Close()
		}
	}()
	for _, st := range steps {
		detail, err := st.fn(ctx)
		if err != nil {
			fmt.Fprintf(cfg.Out, "FAIL %s: %v\n", st.name, err)
			fmt.Fprintf(cfg.Out, "RESULT FAIL driver=gocql step=%s\n", st.name)
			return fmt.Errorf("step %s: %w", st.name, err)
		}
		if detail != "" {
			fmt.Fprintf(cfg.Out, "PASS %s: %s\n", st.name, detail)
		} else {
			fmt.Fprintf(cfg.Out, "PASS %s\n", st.name)
		}
	}
	fmt.Fprintf(cfg.Out, "RESULT PASS driver=gocql protocol=v%d\n", r.obs.v.Load())
	return nil
}

func (r *runner) cluster(keyspace string) *gocql.ClusterConfig {
	cl := gocql.NewCluster(r.cfg.Contact)
	cl.ProtoVersion = r.cfg.Proto
	cl.Keyspace = keyspace
	cl.Timeout = 30 * time.Second
	cl.ConnectTimeout = 10 * time.Second
	cl.Consistency = gocql.LocalQuorum
	cl.NumConns = 1
	cl.FrameHeaderObserver = r.obs
	switch r.cfg.Compression {
	case "lz4":
		cl.Compressor = lz4.LZ4Compressor{}
	case "snappy":
		cl.Compressor = snappy.SnappyCompressor{}
	}
	if r.cfg.TLSCA != "" {
		cl.SslOpts = &gocql.SslOptions{CaPath: r.cfg.TLSCA, EnableHostVerification: true}
	}
	if r.cfg.Username != "" {
		cl.Authenticator = gocql.PasswordAuthenticator{Username: r.cfg.Username, Password: r.cfg.Password}
	}
	return cl
}
