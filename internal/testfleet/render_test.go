package testfleet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func testFleet(t *testing.T) *Fleet {
	t.Helper()
	dir := t.TempDir()
	f := &Fleet{Name: "t", StateDir: dir, Group: "proxies"}
	o := Options{N: 3, Subnet: "10.9.0.0/24", InternalSubnet: "10.9.1.0/24", SudoUserHost: true, BastionHost: true}
	f.Bridge = "br"
	planHosts(f, o)
	return f
}

func TestPlanHosts(t *testing.T) {
	f := testFleet(t)
	if len(f.Hosts) != 4 {
		t.Fatalf("hosts: %d", len(f.Hosts))
	}
	want := []struct{ name, addr, user, bastion string }{
		{"t-1", "10.9.0.11", "root", ""},
		{"t-2", "10.9.0.12", SudoUser, ""},
		{"t-3", "10.9.0.13", "root", ""},
		{"t-priv", "10.9.1.11", "root", "t-1"},
	}
	for i, w := range want {
		h := f.Hosts[i]
		if h.Name != w.name || h.Address != w.addr || h.User != w.user || h.Bastion != w.bastion {
			t.Errorf("host %d: got %+v, want %+v", i, h, w)
		}
		for _, v := range h.Veths {
			if len(v) > 15 {
				t.Errorf("interface name %q longer than 15", v)
			}
		}
	}
	if !f.Hosts[1].Become || f.Hosts[0].Become {
		t.Error("only the sudo host becomes")
	}
	if len(f.Hosts[0].Veths) != 2 {
		t.Errorf("bastion interfaces: %v", f.Hosts[0].Veths)
	}
}

func TestInventory(t *testing.T) {
	f := testFleet(t)
	got := f.Inventory()
	for _, want := range []string{
		"defaults: {user: root, identity_file: \"" + f.KeyFile + "\"}\n",
		"groups:\n  proxies:\n    hosts:\n      t-1: {address: 10.9.0.11}\n      t-2: {address: 10.9.0.12, user: deploy, become: true}\n      t-3: {address: 10.9.0.13}\n",
		"  private:\n    hosts:\n      t-priv: {address: 10.9.1.11}\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("inventory lacks %q:\n%s", want, got)
		}
	}
}

func TestSSHFiles(t *testing.T) {
	f := testFleet(t)
	user, err := newKeyPair("u")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]keyPair{}
	for _, h := range f.Hosts {
		if keys[h.Name], err = newKeyPair(h.Name); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeSSHFiles(f, user, keys); err != nil {
		t.Fatal(err)
	}
	// The private key parses and matches the public one.
	pem, err := os.ReadFile(f.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	if string(signer.PublicKey().Marshal()) != string(user.public.Marshal()) {
		t.Fatal("private and public key differ")
	}
	if st, _ := os.Stat(f.KeyFile); st.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v", st.Mode().Perm())
	}
	// known_hosts accepts each host's key under name and address and
	// rejects another host's key.
	cb, err := knownhosts.New(f.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range f.Hosts {
		for _, n := range []string{h.Name, h.Address} {
			if err := cb(n+":22", fakeAddr{}, keys[h.Name].public); err != nil {
				t.Errorf("%s: own key rejected: %v", n, err)
			}
		}
	}
	if err := cb(f.Hosts[0].Address+":22", fakeAddr{}, keys[f.Hosts[1].Name].public); err == nil {
		t.Error("another host's key accepted")
	}
	cfg, err := os.ReadFile(f.SSHConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	s := string(cfg)
	for _, want := range []string{
		"\nHost t-priv 10.9.1.11\n  HostName 10.9.1.11\n  User root\n",
		"  ProxyJump t-1\n",
		"\nHost t-2 10.9.0.12\n  HostName 10.9.0.12\n  User deploy\n",
		"  UserKnownHostsFile " + f.KnownHostsFile + "\n",
		"  IdentityFile " + filepath.Join(f.StateDir, "id_ed25519") + "\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("ssh config lacks %q:\n%s", want, s)
		}
	}
	if strings.Count(s, "ProxyJump") != 1 {
		t.Errorf("want one ProxyJump:\n%s", s)
	}
}

type fakeAddr struct{}

func (fakeAddr) Network() string { return "tcp" }
func (fakeAddr) String() string  { return "10.0.0.1:22" }
