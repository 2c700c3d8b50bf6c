package testfleet

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// keyPair is an ed25519 key in the forms the fleet writes out.
type keyPair struct {
	private    []byte // OpenSSH PEM
	authorized string // "ssh-ed25519 AAAA... comment\n"
	public     ssh.PublicKey
}

func newKeyPair(comment string) (keyPair, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return keyPair{}, fmt.Errorf("generate ed25519 key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return keyPair{}, fmt.Errorf("encode private key: %w", err)
	}
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		return keyPair{}, fmt.Errorf("encode public key: %w", err)
	}
	auth := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " " + comment + "\n"
	return keyPair{private: pem.EncodeToMemory(block), authorized: auth, public: pub}, nil
}

// knownHostsLine lists a host under its name and address.
func knownHostsLine(h Host, pub ssh.PublicKey) string {
	return knownhosts.Line([]string{h.Name, h.Address}, pub) + "\n"
}
