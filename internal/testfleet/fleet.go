package testfleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Fleet is a running fleet. It is also what state.json in its state
// directory holds, so Load and Down work from another process.
type Fleet struct {
	Name     string
	StateDir string
	// Hosts: the N regular hosts in order, then the bastion-only host (if
	// any, with Bastion set).
	Hosts []Host

	Bridge         string // root-namespace bridge of the regular hosts
	BridgeAddress  string // its address, the hosts' gateway
	Subnet         string
	InternalBridge string // bridge of the bastion-only host; no address here
	InternalSubnet string
	// UnreachableRoute is a route of type unreachable for InternalSubnet in
	// the root namespace: a direct connection fails at once instead of
	// leaking out through the default route.
	UnreachableRoute string
	Group            string // inventory group of the regular hosts

	KeyFile        string // private key (ed25519) accepted by every host
	KnownHostsFile string // every host's key, under its name and address
	SSHConfigFile  string // Host entries for every host, ProxyJump included
	InventoryFile  string // zdmctl inventory of every host

	// Cgroup roots of the fleet (v1 name=systemd and v2), one child per host.
	CgroupV1 string
	CgroupV2 string
	// InotifyRaised is set when Up raised fs.inotify.max_user_instances.
	InotifyRaised bool
	// OwnerPID and OwnerStart identify the process that owns an ephemeral
	// fleet (zero otherwise); see DownOrphans.
	OwnerPID   int
	OwnerStart uint64
}

// Host is one container.
type Host struct {
	Name    string // inventory name, SSH alias, hostname and machine name
	Address string
	User    string // root, or SudoUser on the sudo host
	KeyFile string
	Become  bool // true on the sudo host
	// Bastion is the name of the host to jump through; empty when the
	// controller reaches this host directly.
	Bastion string
	// HostKey is the host's SSH public key, authorized_keys format.
	HostKey string

	Dir  string // per-host state: upper, work, root (the merged overlay)
	Root string
	Log  string // systemd-nspawn's output
	// PID and StartTime identify the systemd-nspawn process (StartTime in
	// clock ticks since boot, from /proc/PID/stat), so a reused PID is
	// never signalled.
	PID       int
	StartTime uint64
	// Veths: host-side interfaces made for this host (nspawn's and, on
	// the bastion, the extra one into the internal bridge).
	Veths []string
}

// Host returns the named host.
func (f *Fleet) Host(name string) (Host, bool) {
	for _, h := range f.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return Host{}, false
}

// Direct returns the hosts the controller reaches directly.
func (f *Fleet) Direct() []Host {
	var out []Host
	for _, h := range f.Hosts {
		if h.Bastion == "" {
			out = append(out, h)
		}
	}
	return out
}

// BastionOnly returns the host reachable only through a bastion, if any.
func (f *Fleet) BastionOnly() (Host, bool) {
	for _, h := range f.Hosts {
		if h.Bastion != "" {
			return h, true
		}
	}
	return Host{}, false
}

// SudoHost returns the host whose user is SudoUser, if any.
func (f *Fleet) SudoHost() (Host, bool) {
	for _, h := range f.Hosts {
		if h.User == SudoUser {
			return h, true
		}
	}
	return Host{}, false
}

const stateFile = "state.json"

func (f *Fleet) save() error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode fleet state: %w", err)
	}
	p := filepath.Join(f.StateDir, stateFile)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write fleet state: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("write fleet state: %w", err)
	}
	return nil
}

// ErrNoFleet means there is no state for the named fleet.
var ErrNoFleet = errors.New("no such fleet")

// Load reads the state of fleet name under stateRoot (empty: the default).
func Load(stateRoot, name string) (*Fleet, error) {
	if stateRoot == "" {
		stateRoot = DefaultStateRoot
	}
	p := filepath.Join(stateRoot, name, stateFile)
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("fleet %q under %s: %w", name, stateRoot, ErrNoFleet)
	}
	if err != nil {
		return nil, fmt.Errorf("read fleet state: %w", err)
	}
	var f Fleet
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("decode %s: %w", p, err)
	}
	return &f, nil
}

// List returns the names of the fleets that have a state directory.
func List(stateRoot string) ([]string, error) {
	if stateRoot == "" {
		stateRoot = DefaultStateRoot
	}
	ents, err := os.ReadDir(stateRoot)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list fleets: %w", err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && fleetNameRE.MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
