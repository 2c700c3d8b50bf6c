// Command standin is NOT the proxy. It is a stand-in used only to validate the
// benchmark pipeline before a real zdm-proxy exists: a plain TCP pass-through
// from proxy_listen_address:proxy_listen_port to the first origin contact
// point. It does not parse CQL, does not write to Target and does not answer
// system tables itself. It reads the same --config file as zdm-proxy.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	cfgPath := flag.String("config", "", "zdm-proxy YAML config file")
	flag.Parse()
	cfg, err := readConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "standin:", err)
		os.Exit(2)
	}
	listen := net.JoinHostPort(cfg["proxy_listen_address"], cfg["proxy_listen_port"])
	origin := net.JoinHostPort(strings.Split(cfg["origin_contact_points"], ",")[0], cfg["origin_port"])
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "standin:", err)
		os.Exit(1)
	}
	slog.Info("standin pass-through listening (not a proxy)", "listen", listen, "origin", origin)
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		<-sig
		os.Exit(0)
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "standin: accept:", err)
			os.Exit(1)
		}
		go forward(c, origin)
	}
}

func forward(client net.Conn, origin string) {
	defer client.Close()
	upstream, err := net.Dial("tcp", origin)
	if err != nil {
		slog.Error("standin: dial origin", "origin", origin, "err", err)
		return
	}
	defer upstream.Close()
	go func() {
		_, _ = io.Copy(upstream, client)
		_ = upstream.(*net.TCPConn).CloseWrite()
	}()
	_, _ = io.Copy(client, upstream)
}

// readConfig reads flat "key: value" lines, which is all the bench writes.
func readConfig(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open config: %w", err)
	}
	defer f.Close()
	cfg := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok {
			cfg[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	for _, k := range []string{"proxy_listen_address", "proxy_listen_port", "origin_contact_points", "origin_port"} {
		if cfg[k] == "" {
			return nil, fmt.Errorf("config %s: missing %s", path, k)
		}
	}
	return cfg, sc.Err()
}
