package testfleet

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ip runs iproute2.
func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

func linkExists(name string) bool {
	_, err := os.Lstat(filepath.Join("/sys/class/net", name))
	return err == nil
}

// bridgePorts lists the interfaces enslaved to a bridge.
func bridgePorts(bridge string) []string {
	ents, _ := os.ReadDir(filepath.Join("/sys/class/net", bridge, "brif"))
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// createBridge makes a bridge, with address addr (CIDR) when not empty.
// STP stays off, so ports forward as soon as they are up.
func createBridge(name, addr string) error {
	if linkExists(name) {
		return fmt.Errorf("bridge %s already exists (another fleet? run down first)", name)
	}
	if err := ip("link", "add", name, "type", "bridge", "forward_delay", "0", "stp_state", "0"); err != nil {
		return err
	}
	if addr != "" {
		if err := ip("addr", "add", addr, "dev", name); err != nil {
			return err
		}
	}
	return ip("link", "set", name, "up")
}

// deleteLink removes an interface if it exists.
func deleteLink(name string) error {
	if name == "" || !linkExists(name) {
		return nil
	}
	if err := ip("link", "del", name); err != nil && linkExists(name) {
		return err
	}
	return nil
}

// subnetInUse reports whether an interface here has an address in p.
func subnetInUse(p netip.Prefix) (bool, error) {
	out, err := exec.Command("ip", "-o", "-4", "addr", "show").Output()
	if err != nil {
		return false, fmt.Errorf("ip addr show: %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		for i, w := range f {
			if w == "inet" && i+1 < len(f) {
				if a, err := netip.ParsePrefix(f[i+1]); err == nil && p.Contains(a.Addr()) {
					return true, nil
				}
			}
		}
	}
	return false, nil
}

// attachWhenPresent waits for interface name to appear (nspawn makes it
// while starting the container) and enslaves it to bridge, up.
func attachWhenPresent(ctx context.Context, name, bridge string) error {
	for !linkExists(name) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("interface %s never appeared: %w", name, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := ip("link", "set", name, "master", bridge); err != nil {
		return err
	}
	return ip("link", "set", name, "up")
}
