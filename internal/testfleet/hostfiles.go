package testfleet

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// hostSetup is what one host's overlay gets before boot.
type hostSetup struct {
	host      Host
	prefixLen int
	gateway   string
	extraIf   string // bastion: interface into the internal bridge
	extraAddr string // its CIDR address
	hostKey   keyPair
	userKey   keyPair
	etcHosts  string // shared lines naming every host
}

// writeHostFiles writes the per-host files into root (the merged overlay).
func writeHostFiles(root string, s hostSetup) error {
	h := s.host
	mid := make([]byte, 16)
	if _, err := rand.Read(mid); err != nil {
		return fmt.Errorf("machine id: %w", err)
	}
	netEnv := fmt.Sprintf("ADDR=%s/%d\nGATEWAY=%s\nEXTRA_IF=%s\nEXTRA_ADDR=%s\n",
		h.Address, s.prefixLen, s.gateway, s.extraIf, s.extraAddr)
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"127.0.1.1\t" + h.Name + "\n" + s.etcHosts
	files := []struct {
		path string
		data string
		mode os.FileMode
	}{
		{"etc/hostname", h.Name + "\n", 0o644},
		{"etc/hosts", hosts, 0o644},
		{"etc/machine-id", hex.EncodeToString(mid) + "\n", 0o444},
		{"etc/testfleet/net.env", netEnv, 0o644},
		{"etc/ssh/ssh_host_ed25519_key", string(s.hostKey.private), 0o600},
		{"etc/ssh/ssh_host_ed25519_key.pub", s.hostKey.authorized, 0o644},
	}
	for _, f := range files {
		if err := writeFileIn(root, f.path, []byte(f.data), f.mode, 0, 0); err != nil {
			return err
		}
	}
	if h.User == "root" {
		if err := mkdirIn(root, "root/.ssh", 0o700, 0, 0); err != nil {
			return err
		}
		return writeFileIn(root, "root/.ssh/authorized_keys", []byte(s.userKey.authorized), 0o600, 0, 0)
	}
	uid, gid, home, err := lookupUser(root, h.User)
	if err != nil {
		return err
	}
	rel := strings.TrimPrefix(home, "/")
	if err := mkdirIn(root, filepath.Join(rel, ".ssh"), 0o700, uid, gid); err != nil {
		return err
	}
	if err := writeFileIn(root, filepath.Join(rel, ".ssh/authorized_keys"), []byte(s.userKey.authorized), 0o600, uid, gid); err != nil {
		return err
	}
	rule := h.User + " ALL=(ALL:ALL) NOPASSWD: ALL\n"
	return writeFileIn(root, "etc/sudoers.d/zdmctl-testfleet", []byte(rule), 0o440, 0, 0)
}

// lookupUser reads a user's uid, gid and home from root/etc/passwd.
func lookupUser(root, name string) (uid, gid int, home string, err error) {
	f, err := os.Open(filepath.Join(root, "etc/passwd"))
	if err != nil {
		return 0, 0, "", fmt.Errorf("look up user %s: %w", name, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(sc.Text(), ":")
		if len(p) < 7 || p[0] != name {
			continue
		}
		uid, err1 := strconv.Atoi(p[2])
		gid, err2 := strconv.Atoi(p[3])
		if err1 != nil || err2 != nil {
			return 0, 0, "", fmt.Errorf("look up user %s: bad passwd line", name)
		}
		return uid, gid, p[5], nil
	}
	return 0, 0, "", fmt.Errorf("look up user %s: not in %s/etc/passwd", name, root)
}
