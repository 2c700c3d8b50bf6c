// Command gocql-matrix runs the driver compatibility script with gocql v2.
//
//	gocql-matrix -contact 127.0.0.2:9042 -proto 5 -keyspace zdm_matrix_gocql [-user cassandra]
//
// The password is read from the CQL_PASSWORD environment variable so that it
// never appears in argv.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	gocqlmatrix "github.com/zdmctl/zdmctl/e2e/drivers/gocql"
)

func main() {
	contact := flag.String("contact", "127.0.0.1:9042", "contact point host:port")
	user := flag.String("user", "", "username (password from $CQL_PASSWORD)")
	proto := flag.Int("proto", 0, "native protocol version to force: 4 or 5 (0 = negotiate)")
	ks := flag.String("keyspace", "zdm_matrix_gocql", "keyspace the script creates")
	comp := flag.String("compression", "", "lz4 or snappy (default: none)")
	tlsCA := flag.String("tls-ca", "", "PEM CA file: connect over TLS and verify the contact point with it")
	timeout := flag.Duration("timeout", 5*time.Minute, "overall deadline")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	err := gocqlmatrix.Run(ctx, gocqlmatrix.Config{
		Contact: *contact, Username: *user, Password: os.Getenv("CQL_PASSWORD"),
		Proto: *proto, Keyspace: *ks, Compression: *comp, TLSCA: *tlsCA, Out: os.Stdout,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "gocql-matrix:", err)
		os.Exit(1)
	}
}
