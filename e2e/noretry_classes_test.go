//go:build e2e

package e2e

// The error classes a driver causes itself during a proxy restart when the
// client runs without the settings `zdmctl client-config` prints: each is
// shown in the driver's own source in proxy/OPERATIONS.md ("Why 0 without
// retries is out of the proxy's reach", "Restarts under load").
// TestZDMRolloutNoRetries accepts exactly these, and only in steps that
// restart proxies, for the loads without those settings; any other error,
// any error in a reload step or between steps, and any error of the load
// with the settings fails the test.

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// gocqlDriverCaused names the class of a gocql v2.1.2 error that gocql
// itself causes in a restart, or "" for any other error.
func gocqlDriverCaused(err error) string {
	var boot *gocql.RequestErrBootstrapping
	switch {
	case errors.Is(err, gocql.ErrConnectionClosed):
		// its pool close on the DOWN event (events.go handleNodeDown ->
		// removeHost; conn.go Close -> closeWithError(nil)), returned as
		// the first error by query_executor.go do
		return "ErrConnectionClosed"
	case strings.Contains(err.Error(), "use of closed network connection"):
		// the same close, hit while writing the request
		return "closed network connection"
	case errors.Is(err, io.EOF) || err.Error() == "EOF":
		// a connection closing under a request (OPERATIONS, the e2e runs)
		return "EOF"
	case errors.As(err, &boot):
		// IS_BOOTSTRAPPING from a draining proxy: not executed; returned
		// as is without a RetryPolicy or for a statement not idempotent
		return "IS_BOOTSTRAPPING"
	case errors.Is(err, context.Canceled):
		// a PREPARE on a connection closing (conn.go prepareStatement
		// runs on the connection's context; query_executor.go returns
		// context.Canceled at once)
		return "PREPARE context canceled"
	}
	return ""
}

// pythonDriverCaused classifies a load.py "FAIL <class>: <message>" line
// (the Python driver 3.25 with FallthroughRetryPolicy).
func pythonDriverCaused(line string) string {
	class, _, _ := strings.Cut(line, ":")
	switch class {
	case "ConnectionShutdown": // io/asyncorereactor.py AsyncoreConnection.close fails what is in flight
		return class
	case "IsBootstrappingErrorMessage": // cluster.py ResponseFuture._set_result -> on_request_error: rethrown
		return class
	}
	return ""
}

// javaDriverCaused classifies a Load "FAIL <class>: <message>" line (the
// Java driver 4.19.4, statements not idempotent).
func javaDriverCaused(line string) string {
	class, _, _ := strings.Cut(line, ":")
	if class == "ClosedConnectionException" { // onRequestAborted asked only for idempotent requests
		return class
	}
	return ""
}

func TestDriverCausedClasses(t *testing.T) {
	for err, want := range map[error]string{
		gocql.ErrConnectionClosed: "ErrConnectionClosed",
		errors.New("write tcp 10.0.0.1:1->10.0.0.2:9042: use of closed network connection"): "closed network connection",
		io.EOF:                                    "EOF",
		&gocql.RequestErrBootstrapping{}:          "IS_BOOTSTRAPPING",
		context.Canceled:                          "PREPARE context canceled",
		context.DeadlineExceeded:                  "",
		gocql.ErrNoConnections:                    "",
		errors.New("gocql: no response received"): "",
	} {
		if got := gocqlDriverCaused(err); got != want {
			t.Errorf("gocql %v: %q, want %q", err, got, want)
		}
	}
	for line, want := range map[string]string{
		"ConnectionShutdown: Connection to 10.0.0.2:9042 was closed":  "ConnectionShutdown",
		"IsBootstrappingErrorMessage: <Error from server: code=1002>": "IsBootstrappingErrorMessage",
		"NoHostAvailable: ('Unable to complete the operation')":       "",
		"OperationTimedOut: errors={}":                                "",
	} {
		if got := pythonDriverCaused(line); got != want {
			t.Errorf("python %q: %q, want %q", line, got, want)
		}
	}
	if javaDriverCaused("ClosedConnectionException: Lost connection to remote peer") == "" || javaDriverCaused("AllNodesFailedException: All 3 node(s) tried") != "" {
		t.Error("java classes")
	}
}
