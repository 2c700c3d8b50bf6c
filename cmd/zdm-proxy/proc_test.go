package main

import (
	"fmt"
	"os/exec"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// runProxy starts the built zdm-proxy with the config file at path, its
// stderr kept in the returned buffer; it is killed when the test ends.
func runProxy(t *testing.T, path string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binary, "--config", path)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, logs
}

// connect opens a gocql session to the proxy on 127.0.0.1:port, retrying
// for 5 s while the proxy starts; mod adjusts the cluster config. The
// session is closed when the test ends; a failure shows the proxy's logs.
func connect(t *testing.T, port int, logs fmt.Stringer, mod func(*gocql.ClusterConfig)) *gocql.Session {
	t.Helper()
	cl := gocql.NewCluster("127.0.0.1")
	cl.Port = port
	cl.Timeout = 5 * time.Second
	if mod != nil {
		mod(cl)
	}
	var s *gocql.Session
	var err error
	for i := 0; i < 100; i++ {
		if s, err = cl.CreateSession(); err == nil {
			t.Cleanup(s.Close)
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("session: %v\n%s", err, logs.String())
	return nil
}
