package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/zdmctl/zdmctl/internal/cqltest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "zdm-proxy-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "zdm-proxy")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("build zdm-proxy: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(binary, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "zdm-proxy ") {
		t.Fatalf("--version: %q %v", out, err)
	}
}

func TestBadConfigIsOneLine(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("origin_contact_points: a\ntarget_contact_points: b\nread_mode: SOMETIMES\n"), 0o600)
	cmd := exec.Command(binary, "--config", cfg)
	cmd.Env = []string{"ZDM_TARGET_PASSWORD=s3cret"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
		t.Fatalf("exit: %v", err)
	}
	msg := strings.TrimRight(stderr.String(), "\n")
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "read_mode") || !strings.Contains(msg, "SOMETIMES") || !strings.Contains(msg, "DUAL_ASYNC_ON_SECONDARY") {
		t.Fatalf("want one line naming key, value and allowed values, got %q", msg)
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestServesAndStopsOnSIGTERM(t *testing.T) {
	origin := cqltest.Start(t, cqltest.Options{Name: "origin", Username: "ou", Password: "op-secret"})
	target := cqltest.Start(t, cqltest.Options{Name: "target"})
	port := freePort(t)
	cmd := exec.Command(binary)
	cmd.Env = []string{
		"ZDM_ORIGIN_CONTACT_POINTS=127.0.0.1", "ZDM_ORIGIN_PORT=" + strconv.Itoa(origin.Port()),
		"ZDM_TARGET_CONTACT_POINTS=127.0.0.1", "ZDM_TARGET_PORT=" + strconv.Itoa(target.Port()),
		"ZDM_PROXY_LISTEN_ADDRESS=127.0.0.1", "ZDM_PROXY_LISTEN_PORT=" + strconv.Itoa(port),
		"ZDM_ORIGIN_USERNAME=ou", "ZDM_ORIGIN_PASSWORD=op-secret", "ZDM_LOG_LEVEL=DEBUG",
		"ZDM_METRICS_ADDRESS=127.0.0.1", "ZDM_METRICS_PORT=" + strconv.Itoa(freePort(t)),
		"ZDM_ADMIN_ADDRESS=127.0.0.1", "ZDM_ADMIN_PORT=" + strconv.Itoa(freePort(t)),
	}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer cmd.Process.Kill()

	s := connect(t, port, &logs, func(cl *gocql.ClusterConfig) {
		cl.Authenticator = gocql.PasswordAuthenticator{Username: "ou", Password: "op-secret"}
	})
	if err := s.Query("INSERT INTO ks.t (k) VALUES ('a')").Exec(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("proxy did not stop after SIGTERM")
	}
	if strings.Contains(logs.String(), "op-secret") {
		t.Fatal("password appears in the logs")
	}
	if len(target.Queries("INSERT")) != 1 {
		t.Fatal("write did not reach target")
	}
}
