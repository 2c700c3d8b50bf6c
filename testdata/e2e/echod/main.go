// Command echod is the service the e2e engine playbook deploys: it reads a
// key=value config file (port, greeting, host) and answers every TCP
// connection with one line "<greeting> from <host>", then closes it.
// Built static (CGO_ENABLED=0) by the e2e tests and padded to 25 MB.
package main

import (
	"bufio"
	"fmt"
	"log"
	"net"
	"os"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: echod CONFIG")
	}
	cfg, err := readConfig(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", ":"+cfg["port"])
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on %s", ln.Addr())
	line := fmt.Sprintf("%s from %s\n", cfg["greeting"], cfg["host"])
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer c.Close()
			_, _ = c.Write([]byte(line))
		}()
	}
}

func readConfig(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s: bad line %q", path, line)
		}
		cfg[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if cfg["port"] == "" {
		return nil, fmt.Errorf("%s: no port", path)
	}
	return cfg, sc.Err()
}
