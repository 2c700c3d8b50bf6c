package load

import (
	"context"
	"fmt"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// Op performs operation number i.
type Op func(ctx context.Context, i int64) error

// The statements of the benchmark; memcql understands them.
const (
	insertCQL = "INSERT INTO bench.kv (k, v) VALUES (?, ?)"
	selectCQL = "SELECT v FROM bench.kv WHERE k = ?"
)

// payload is the value every write carries (100 bytes, as every read returns).
var payload = make([]byte, 100)

// Insert writes one row per call.
func Insert(s *gocql.Session) Op {
	return func(ctx context.Context, i int64) error {
		return s.Query(insertCQL, i, payload).ExecContext(ctx)
	}
}

// Select reads one row per call and checks that it got one.
func Select(s *gocql.Session) Op {
	return func(ctx context.Context, i int64) error {
		var v []byte
		if err := s.Query(selectCQL, i).ScanContext(ctx, &v); err != nil {
			return err
		}
		if len(v) == 0 {
			return fmt.Errorf("select k=%d returned an empty value", i)
		}
		return nil
	}
}
