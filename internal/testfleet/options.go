package testfleet

import (
	"fmt"
	"net/netip"
	"regexp"
	"time"
)

// Defaults.
const (
	DefaultStateRoot = "/run/zdmctl-testfleet"
	DefaultCacheDir  = "/var/cache/zdmctl-testfleet/base-bookworm"
	DefaultName      = "fleet"
	DefaultBridge    = "zdmbr0"
	DefaultSubnet    = "10.199.0.0/24"
	DefaultGroup     = "proxies"
	// PrivateGroup is the inventory group of the bastion-only host.
	PrivateGroup = "private"
	// SudoUser is the non-root user of the sudo host.
	SudoUser = "deploy"
	// hostOffset: host i (1-based) gets the subnet's address .(10+i).
	hostOffset = 10
)

// Options describe a fleet. The zero value of each field means its default.
type Options struct {
	// Name names the fleet: its state directory, host names (<Name>-<i>) and
	// cgroups. Lowercase letters and digits, at most 7 characters (host-side
	// interface names must fit in 15). Empty: a fresh unique name.
	Name string
	// N is the number of regular hosts (at least 1).
	N int
	// Bridge is the Linux bridge in the root namespace (at most 11
	// characters). Subnet is its /24; the bridge gets .1 and host i gets
	// .(10+i). InternalSubnet is the /24 of the bastion-only host's bridge
	// (default: the /24 after Subnet). When Bridge and Subnet are both empty
	// a free zdmbr<k> / 10.199.<2k>.0/24 pair is picked (k >= 1; k = 0 is
	// left to `make fleet-up`).
	Bridge         string
	Subnet         string
	InternalSubnet string
	// CacheDir holds the base rootfs (built once, reused). StateRoot holds
	// one directory per fleet (keys, configs, overlays, state.json).
	CacheDir  string
	StateRoot string
	// Mirror is the Debian mirror for the base build; empty: the one apt on
	// this machine uses.
	Mirror string
	// SudoUserHost makes host 2 (host 1 when N is 1) reachable only as user
	// `deploy` with passwordless sudo, instead of root.
	SudoUserHost bool
	// BastionHost adds host <Name>-priv on the internal bridge: the
	// controller cannot reach it, host 1 can (ssh_config has a ProxyJump).
	BastionHost bool
	// Group is the inventory group of the regular hosts (default proxies).
	Group string
	// Ephemeral ties the fleet to the calling process: once that process
	// has exited, DownOrphans takes the fleet down. For test binaries.
	Ephemeral bool
	// BootTimeout bounds the wait for every host's SSH banner
	// (default 60 s + 3 s per host).
	BootTimeout time.Duration
}

var fleetNameRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,6}$`)
var bridgeNameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,10}$`)

// withDefaults fills defaults that need no system state and validates.
func (o Options) withDefaults() (Options, error) {
	if o.N < 1 {
		return o, fmt.Errorf("fleet size %d: need at least 1 host", o.N)
	}
	if o.N > 200 {
		return o, fmt.Errorf("fleet size %d: at most 200 hosts", o.N)
	}
	if o.Name != "" && !fleetNameRE.MatchString(o.Name) {
		return o, fmt.Errorf("fleet name %q: want 1-7 lowercase letters or digits, starting with a letter", o.Name)
	}
	if o.CacheDir == "" {
		o.CacheDir = DefaultCacheDir
	}
	if o.StateRoot == "" {
		o.StateRoot = DefaultStateRoot
	}
	if o.Group == "" {
		o.Group = DefaultGroup
	}
	if o.BootTimeout == 0 {
		o.BootTimeout = 60*time.Second + time.Duration(o.N)*3*time.Second
	}
	if (o.Bridge == "") != (o.Subnet == "") {
		return o, fmt.Errorf("bridge %q and subnet %q: set both or neither", o.Bridge, o.Subnet)
	}
	if o.Bridge != "" && !bridgeNameRE.MatchString(o.Bridge) {
		return o, fmt.Errorf("bridge name %q: want at most 11 letters, digits or _", o.Bridge)
	}
	if o.Subnet != "" {
		if _, err := parseSlash24(o.Subnet); err != nil {
			return o, err
		}
		if o.InternalSubnet == "" {
			next, err := nextSlash24(o.Subnet)
			if err != nil {
				return o, err
			}
			o.InternalSubnet = next
		}
	}
	if o.InternalSubnet != "" {
		if _, err := parseSlash24(o.InternalSubnet); err != nil {
			return o, err
		}
	}
	return o, nil
}

// parseSlash24 parses an IPv4 /24 and returns its network prefix.
func parseSlash24(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, fmt.Errorf("subnet %q: %w", s, err)
	}
	if !p.Addr().Is4() || p.Bits() != 24 {
		return p, fmt.Errorf("subnet %q: want an IPv4 /24", s)
	}
	return p.Masked(), nil
}

// nextSlash24 returns the /24 right after s.
func nextSlash24(s string) (string, error) {
	p, err := parseSlash24(s)
	if err != nil {
		return "", err
	}
	b := p.Addr().As4()
	if b[2] == 255 {
		return "", fmt.Errorf("subnet %q: no /24 after it; set the internal subnet", s)
	}
	b[2]++
	return netip.PrefixFrom(netip.AddrFrom4(b), 24).String(), nil
}

// addrIn returns address .host of the /24 s.
func addrIn(s string, host int) string {
	p, _ := parseSlash24(s)
	b := p.Addr().As4()
	b[3] = byte(host)
	return netip.AddrFrom4(b).String()
}
