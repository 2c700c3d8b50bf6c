package transport

import (
	"context"
	"fmt"
	"time"

	"github.com/zdmctl/zdmctl/inventory"
)

// DialOptions tune how hosts are reached.
type DialOptions struct {
	KnownHostsFile    string // default ~/.ssh/known_hosts
	AcceptNewHostKeys bool   // record unknown host keys instead of refusing them
	SSHConfigFile     string // default ~/.ssh/config; "none" disables it
	// PasswordEnv names an environment variable holding the SSH password.
	PasswordEnv string
	// PromptPassword asks the operator for a password; nil disables prompting.
	PromptPassword func(host string) (string, error)
	Timeout        time.Duration // dial + handshake timeout; default 10s
	KeepAlive      time.Duration // keepalive interval; default 15s
}

// Dial connects to h: Local for connection "local", SSH otherwise.
// STUB: the SSH implementation replaces this file.
func Dial(ctx context.Context, h *inventory.Host, opts DialOptions) (Conn, error) {
	if h.Connection == "local" {
		return NewLocal(h.Name), nil
	}
	return nil, &UnreachableError{Host: h.Name, Err: fmt.Errorf("ssh transport not built yet")}
}
