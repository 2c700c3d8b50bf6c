package testfleet

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Inventory renders a zdmctl inventory of the fleet: the regular hosts in
// group f.Group, the bastion-only host in group PrivateGroup. The jump to
// the bastion-only host is in the ssh config file (SSHConfigFile), not here.
//
//	defaults: {user: root, identity_file: "/run/.../id_ed25519"}
//	groups:
//	  proxies:
//	    hosts:
//	      fleet-1: {address: 10.199.0.11}
//	      fleet-2: {address: 10.199.0.12, user: deploy, become: true}
func (f *Fleet) Inventory() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# zdmctl test fleet %q; ssh config: %s\n", f.Name, f.SSHConfigFile)
	fmt.Fprintf(&b, "defaults: {user: root, identity_file: %s}\n", strconv.Quote(f.KeyFile))
	b.WriteString("groups:\n")
	writeGroup := func(group string, hosts []Host) {
		if len(hosts) == 0 {
			return
		}
		fmt.Fprintf(&b, "  %s:\n    hosts:\n", group)
		for _, h := range hosts {
			fmt.Fprintf(&b, "      %s: {address: %s", h.Name, h.Address)
			if h.User != "root" {
				fmt.Fprintf(&b, ", user: %s", h.User)
			}
			if h.KeyFile != f.KeyFile {
				fmt.Fprintf(&b, ", identity_file: %s", strconv.Quote(h.KeyFile))
			}
			if h.Become {
				b.WriteString(", become: true")
			}
			b.WriteString("}\n")
		}
	}
	var direct, private []Host
	for _, h := range f.Hosts {
		if h.Bastion == "" {
			direct = append(direct, h)
		} else {
			private = append(private, h)
		}
	}
	writeGroup(f.Group, direct)
	writeGroup(PrivateGroup, private)
	return b.String()
}

// WriteInventory writes Inventory() to path.
func (f *Fleet) WriteInventory(path string) error {
	if err := os.WriteFile(path, []byte(f.Inventory()), 0o644); err != nil {
		return fmt.Errorf("write inventory %s: %w", path, err)
	}
	return nil
}
