// Command fakeproxy stands in for zdm-proxy in the e2e tests of the zdm
// commands until the real proxy serves its admin API: it loads the same
// YAML config (--config), listens on proxy_listen_port, and serves
// /health/readiness (200 when a TCP connection to the first origin and
// target contact points succeeds) and /api/v1/status (config_sha256 of the
// file last loaded, read_mode, primary_cluster) on 127.0.0.1:metrics_port.
// SIGHUP reloads the config.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

// version is set with -ldflags "-X main.version=..." to tell builds apart.
var version = "fake"

type state struct {
	mu    sync.Mutex
	vals  map[string]string
	sha   string
	start time.Time
}

func load(path string) (map[string]string, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	vals := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return nil, "", fmt.Errorf("bad line %q", l)
		}
		vals[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	s := sha256.Sum256(data)
	return vals, hex.EncodeToString(s[:]), nil
}

func (s *state) get(k, def string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.vals[k]; v != "" {
		return v
	}
	return def
}

func reachable(hosts, port string) bool {
	h := strings.Split(hosts, ",")[0]
	c, err := net.DialTimeout("tcp", net.JoinHostPort(h, port), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func main() {
	cfg := flag.String("config", "", "config file")
	flag.Parse()
	vals, sha, err := load(*cfg)
	if err != nil {
		log.Fatalf("config: %v", err)
	}
	st := &state{vals: vals, sha: sha, start: time.Now()}
	ln, err := net.Listen("tcp", ":"+st.get("proxy_listen_port", "9042"))
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { time.Sleep(time.Minute); c.Close() }()
		}
	}()
	mux := http.NewServeMux()
	mux.HandleFunc("/health/readiness", func(w http.ResponseWriter, _ *http.Request) {
		o := reachable(st.get("origin_contact_points", ""), st.get("origin_port", "9042"))
		t := reachable(st.get("target_contact_points", ""), st.get("target_port", "9042"))
		w.Header().Set("Content-Type", "application/json")
		if !o || !t {
			w.WriteHeader(503)
		}
		json.NewEncoder(w).Encode(map[string]any{"ready": o && t, "clusters": []map[string]any{{"name": "origin", "reachable": o}, {"name": "target", "reachable": t}}})
	})
	mux.HandleFunc("/api/v1/status", func(w http.ResponseWriter, _ *http.Request) {
		st.mu.Lock()
		defer st.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{
			"version": version, "config_sha256": st.sha, "read_mode": st.vals["read_mode"], "primary_cluster": st.vals["primary_cluster"],
			"uptime_seconds": time.Since(st.start).Seconds(), "start_time": st.start,
		})
	})
	go func() {
		log.Fatal(http.ListenAndServe("127.0.0.1:"+st.get("metrics_port", "14001"), mux))
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	for s := range sig {
		if s != syscall.SIGHUP {
			return
		}
		vals, sha, err := load(*cfg)
		if err != nil {
			log.Printf("reload: %v (keeping the running config)", err)
			continue
		}
		st.mu.Lock()
		st.vals, st.sha = vals, sha
		st.mu.Unlock()
		log.Printf("reloaded %s", sha)
	}
}
