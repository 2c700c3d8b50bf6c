package zdm

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/zdmctl/zdmctl/inventory"
	pconfig "github.com/zdmctl/zdmctl/proxy/config"
)

// One validator: every value zdmctl renders is checked by the proxy's own
// config code (proxy/config), then the whole rendered file is read as the
// proxy reads it at start, so what the proxy would refuse is refused here,
// before any host is touched.

func proxyCheck(key, value string) error {
	if !pconfig.KnownKey(key) {
		return nil
	}
	return pconfig.CheckValue(key, value)
}

func proxyParse(text string) error {
	if _, err := pconfig.Parse("the rendered proxy config", []byte(text)); err != nil {
		return fmt.Errorf("the proxy would refuse its config: %w", err)
	}
	return nil
}

func hostErrorf(inv Inventory, h *inventory.Host, field, format string, args ...any) error {
	path := ""
	if p, ok := inv.(interface{ FilePath() string }); ok {
		path = p.FilePath()
	}
	return &inventory.Error{File: path, Line: h.Line, Field: "hosts." + h.Name + "." + field, Msg: fmt.Sprintf(format, args...)}
}

// checkHosts refuses what no proxy fleet can work with: an address that is
// not a valid IP but looks like one (10.0.0.300), two hosts of the group at
// the same address. Errors name the file and line of the host.
func checkHosts(inv Inventory, hosts []*inventory.Host) error {
	var errs []error
	seen := map[string]*inventory.Host{}
	hostErr := func(h *inventory.Host, field, format string, args ...any) error {
		return hostErrorf(inv, h, field, format, args...)
	}
	for _, h := range hosts {
		if h == nil || h.Connection == "local" {
			continue
		}
		if err := checkAddress(h.Address); err != nil {
			errs = append(errs, hostErr(h, "address", "%v", err))
		}
		if prev, dup := seen[strings.ToLower(h.Address)]; dup {
			errs = append(errs, hostErr(h, "address", "%s is also the address of %s (line %d): each proxy needs its own", h.Address, prev.Name, prev.Line))
		} else {
			seen[strings.ToLower(h.Address)] = h
		}
	}
	return errors.Join(errs...)
}

// CheckIdentityFiles refuses identity files that do not exist on this
// machine (checked by commands that connect, and by inventory validate).
func CheckIdentityFiles(inv Inventory, hosts []*inventory.Host) error {
	var errs []error
	for _, h := range hosts {
		if h == nil || h.Connection == "local" || h.IdentityFile == "" {
			continue
		}
		if _, err := os.Stat(expandHome(h.IdentityFile)); errors.Is(err, os.ErrNotExist) {
			errs = append(errs, hostErrorf(inv, h, "identity_file", "identity file %s does not exist (on this machine)", h.IdentityFile))
		}
	}
	return errors.Join(errs...)
}

// checkAddress refuses what is neither an IP address nor a host name, and
// a dotted-number string that is not a valid IPv4 address.
func checkAddress(a string) error {
	if a == "" || net.ParseIP(a) != nil {
		return nil
	}
	allDigits := strings.Trim(a, "0123456789.") == ""
	if allDigits {
		return fmt.Errorf("%q is not a valid IPv4 address (four numbers 0-255)", a)
	}
	for _, r := range a {
		if !(r == '-' || r == '.' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return fmt.Errorf("%q is not an IP address or a host name", a)
		}
	}
	return nil
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// CheckAddress refuses what is neither an IP address nor a host name (for
// `init`, which checks each answer as it is typed).
func CheckAddress(a string) error { return checkAddress(a) }
