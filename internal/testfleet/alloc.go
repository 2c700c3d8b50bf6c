package testfleet

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
)

// claimed reports whether another fleet's state names bridge or one of the
// subnets.
func claimed(stateRoot, self, bridge string, subnets ...string) (string, bool) {
	names, _ := List(stateRoot)
	for _, n := range names {
		if n == self {
			continue
		}
		f, err := Load(stateRoot, n)
		if err != nil {
			continue
		}
		for _, s := range subnets {
			if s == f.Subnet || s == f.InternalSubnet {
				return n, true
			}
		}
		if bridge == f.Bridge || bridge == f.InternalBridge {
			return n, true
		}
	}
	return "", false
}

// networkFree checks a bridge name and its subnets against this machine
// and the other fleets.
func networkFree(stateRoot, self, bridge, subnet, internal string) error {
	for _, l := range []string{bridge, internalBridge(bridge), bastionVeth(bridge)} {
		if linkExists(l) {
			return fmt.Errorf("interface %s already exists (another fleet? `testfleet down`)", l)
		}
	}
	if other, ok := claimed(stateRoot, self, bridge, subnet, internal); ok {
		return fmt.Errorf("bridge %s or subnet %s/%s is used by fleet %q", bridge, subnet, internal, other)
	}
	for _, s := range []string{subnet, internal} {
		p, err := parseSlash24(s)
		if err != nil {
			return err
		}
		if used, err := subnetInUse(p); err != nil {
			return err
		} else if used {
			return fmt.Errorf("subnet %s is already on an interface here", s)
		}
	}
	return nil
}

// pickNetwork fills Bridge/Subnet/InternalSubnet with the first free
// zdmbr<k>, 10.199.<2k>.0/24, 10.199.<2k+1>.0/24 (k >= 1). Called with the
// state-root lock held.
func pickNetwork(o *Options, self string) error {
	for k := 1; k < 127; k++ {
		br := fmt.Sprintf("zdmbr%d", k)
		sub := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 199, byte(2 * k), 0}), 24).String()
		in := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 199, byte(2*k + 1), 0}), 24).String()
		if networkFree(o.StateRoot, self, br, sub, in) == nil {
			o.Bridge, o.Subnet, o.InternalSubnet = br, sub, in
			return nil
		}
	}
	return errors.New("no free test-fleet network (zdmbr1..zdmbr126 all taken)")
}

// claimName creates the fleet's state directory, picking a fresh name when
// o.Name is empty. Called with the state-root lock held.
func claimName(o *Options) (string, error) {
	if o.Name != "" {
		dir := filepath.Join(o.StateRoot, o.Name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return "", fmt.Errorf("fleet %q: state dir %s: %w", o.Name, dir, err)
		}
		return dir, nil
	}
	for range 100 {
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		name := "f" + hex.EncodeToString(b) // 7 characters
		dir := filepath.Join(o.StateRoot, name)
		if err := os.Mkdir(dir, 0o755); err == nil {
			o.Name = name
			return dir, nil
		} else if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("fleet state dir %s: %w", dir, err)
		}
	}
	return "", errors.New("could not pick a fleet name")
}

func internalBridge(bridge string) string { return bridge + "in" }
func bastionVeth(bridge string) string    { return bridge + "bx" }
