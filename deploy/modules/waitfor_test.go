package modules

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestWaitForTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	env := localEnv(t)
	mustStatus(t, run(t, env, "wait_for", Args{"port": port, "timeout": 10}), "ok")
	mustStatus(t, run(t, env, "wait_for", Args{"port": port, "timeout": 10, "from": "controller", "host": "127.0.0.1"}), "ok")

	// a closed port times out and says why
	ln2, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln2.Addr().(*net.TCPAddr).Port
	ln2.Close()
	r := run(t, env, "wait_for", Args{"port": closed, "timeout": 1, "interval": "0.2"})
	mustStatus(t, r, "failed")
	if !strings.Contains(r.Msg, "timed out") {
		t.Fatalf("msg %q", r.Msg)
	}
	mustStatus(t, run(t, env, "wait_for", Args{"port": closed, "state": "stopped", "timeout": 5}), "ok")
}

func TestWaitForHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health/readiness" {
			fmt.Fprint(w, `{"status":"UP"}`)
			return
		}
		http.Error(w, "nope", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	env := localEnv(t)
	ok := Args{"url": srv.URL + "/health/readiness", "body": `"UP"`, "timeout": 10, "healthy_for": 1, "interval": "0.2"}
	mustStatus(t, run(t, env, "wait_for", ok), "ok")
	ok["from"] = "controller"
	mustStatus(t, run(t, env, "wait_for", ok), "ok")

	for _, from := range []string{"host", "controller"} {
		r := run(t, env, "wait_for", Args{"url": srv.URL + "/other", "timeout": 1, "interval": "0.2", "from": from})
		mustStatus(t, r, "failed")
		if !strings.Contains(r.Msg, "503") {
			t.Errorf("from %s: msg %q does not give the status", from, r.Msg)
		}
		r = run(t, env, "wait_for", Args{"url": srv.URL + "/health/readiness", "body": "DOWN", "timeout": 1, "interval": "0.2", "from": from})
		mustStatus(t, r, "failed")
	}
	r := run(t, env, "wait_for", Args{"url": "https://127.0.0.1:1/", "timeout": 1})
	mustStatus(t, r, "failed")
	if !strings.Contains(r.Msg, "controller") {
		t.Fatalf("https on host: %q", r.Msg)
	}
}

func TestWaitForHealthyForNeedsContinuousHealth(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		up := n%2 == 1
		mu.Unlock()
		if !up {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "UP")
	}))
	defer srv.Close()
	env := localEnv(t)
	for _, from := range []string{"host", "controller"} {
		r := run(t, env, "wait_for", Args{"url": srv.URL + "/", "timeout": 2, "interval": "0.1", "healthy_for": 1, "from": from})
		mustStatus(t, r, "failed")
		if !strings.Contains(r.Msg, "timed out") {
			t.Errorf("from %s: %q", from, r.Msg)
		}
	}
}
