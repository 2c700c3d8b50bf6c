// Command crashproxy stands in for a broken zdm-proxy release in the e2e
// tests: on a host with the marker file /etc/zdm-e2e-crash it exits at once
// (systemd restarts it: a crash loop); elsewhere it runs the previous
// binary zdmctl kept (/opt/zdm-proxy/previous), so that host serves.
package main

import (
	"fmt"
	"os"
	"syscall"
)

func main() {
	if _, err := os.Stat("/etc/zdm-e2e-crash"); err == nil {
		fmt.Fprintln(os.Stderr, "crashproxy: /etc/zdm-e2e-crash is here: exiting at once")
		os.Exit(1)
	}
	err := syscall.Exec("/opt/zdm-proxy/previous", append([]string{"/opt/zdm-proxy/previous"}, os.Args[1:]...), os.Environ())
	fmt.Fprintln(os.Stderr, "crashproxy:", err)
	os.Exit(1)
}
