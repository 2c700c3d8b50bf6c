package testfleet

import (
	"fmt"
	"os"
	"strings"
)

// sshConfig renders an OpenSSH client config with one Host entry per host,
// matching its name and its address.
// It stands alone: `ssh -F FILE NAME` needs no ~/.ssh/config, and the jump
// through the bastion reads the same file.
func sshConfig(f *Fleet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# zdmctl test fleet %q; written by internal/testfleet, removed by its Down.\n", f.Name)
	for _, h := range f.Hosts {
		// By name and by address: zdmctl looks a host up by its inventory
		// address, OpenSSH by whatever is on its command line.
		fmt.Fprintf(&b, "\nHost %s %s\n", h.Name, h.Address)
		fmt.Fprintf(&b, "  HostName %s\n", h.Address)
		fmt.Fprintf(&b, "  User %s\n", h.User)
		fmt.Fprintf(&b, "  Port 22\n")
		fmt.Fprintf(&b, "  IdentityFile %s\n", h.KeyFile)
		fmt.Fprintf(&b, "  IdentitiesOnly yes\n")
		fmt.Fprintf(&b, "  UserKnownHostsFile %s\n", f.KnownHostsFile)
		fmt.Fprintf(&b, "  GlobalKnownHostsFile /dev/null\n")
		fmt.Fprintf(&b, "  StrictHostKeyChecking yes\n")
		fmt.Fprintf(&b, "  BatchMode yes\n")
		fmt.Fprintf(&b, "  ConnectTimeout 20\n")
		fmt.Fprintf(&b, "  LogLevel ERROR\n")
		if h.Bastion != "" {
			fmt.Fprintf(&b, "  ProxyJump %s\n", h.Bastion)
		}
	}
	return b.String()
}

func writeSSHFiles(f *Fleet, user keyPair, hostKeys map[string]keyPair) error {
	if err := os.WriteFile(f.KeyFile, user.private, 0o600); err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	if err := os.WriteFile(f.KeyFile+".pub", []byte(user.authorized), 0o644); err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	var kh strings.Builder
	for _, h := range f.Hosts {
		kh.WriteString(knownHostsLine(h, hostKeys[h.Name].public))
	}
	if err := os.WriteFile(f.KnownHostsFile, []byte(kh.String()), 0o644); err != nil {
		return fmt.Errorf("write known_hosts: %w", err)
	}
	if err := os.WriteFile(f.SSHConfigFile, []byte(sshConfig(f)), 0o644); err != nil {
		return fmt.Errorf("write ssh config: %w", err)
	}
	return nil
}
