package initcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/zdmcmd"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
	pconfig "github.com/zdmctl/zdmctl/proxy/config"
)

// Each answer is checked as it is given, with the validators deploy uses
// (the proxy's own config code for proxy settings).

func checkAddresses(s string) error {
	seen := map[string]bool{}
	n := 0
	for _, a := range strings.Split(s, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if err := zdm.CheckAddress(a); err != nil {
			return err
		}
		if seen[a] {
			return fmt.Errorf("%s is given twice: each proxy needs its own address", a)
		}
		seen[a] = true
		n++
	}
	if n == 0 {
		return errors.New("at least one address is required")
	}
	return nil
}

func checkAddress(s string) error { return zdm.CheckAddress(strings.TrimSpace(s)) }

func proxyKey(key string) func(string) error {
	return func(s string) error { return pconfig.CheckValue(key, strings.TrimSpace(s)) }
}

// checkReference accepts only env:NAME or file:PATH: a password typed
// here would land in the inventory in clear.
func checkReference(s string) error {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return nil
	case strings.HasPrefix(s, "env:") && len(s) > 4:
		return nil
	case strings.HasPrefix(s, "file:") && len(s) > 5:
		return nil
	}
	return errors.New("give a reference, env:NAME or file:PATH (a file readable only by you, 0600), not the password itself: it would be written to the inventory in clear")
}

func checkFileExists(s string) error {
	p := expandHome(strings.TrimSpace(s))
	if _, err := os.Stat(p); err != nil {
		return fmt.Errorf("%s: no such file on this machine", s)
	}
	return nil
}

func checkBastion(s string) error {
	if strings.ContainsAny(strings.TrimSpace(s), " \t,") {
		return errors.New("want one jump host: [user@]host[:port]")
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

// preflight connects to every host of the written inventory over SSH (as
// deploy will: its known_hosts and ssh config) and runs `true`.
func preflight(f *cmdutil.Factory, path string) error {
	inv, err := inventory.Load(path)
	if err != nil {
		return cmdutil.UsageError(err)
	}
	f.Settings.SSHDefaults(inv.KnownHosts, inv.SSHConfig)
	dial := f.Dial(f.DialOptions())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var probs []string
	code := cmdutil.ExitFailed
	type res struct {
		host string
		err  error
	}
	ch := make(chan res, len(inv.Hosts))
	for _, h := range inv.Hosts {
		go func(h *inventory.Host) {
			c, err := dial(ctx, h)
			if err == nil {
				var r transport.ExecResult
				r, err = c.Exec(ctx, "true", transport.ExecOptions{})
				if err == nil && r.ExitCode != 0 {
					err = fmt.Errorf("`true` exited %d", r.ExitCode)
				}
				c.Close()
			}
			ch <- res{h.Name, err}
		}(h)
	}
	for range inv.Hosts {
		r := <-ch
		if r.err != nil {
			probs = append(probs, fmt.Sprintf("%s: %v", r.host, r.err))
			if zdmcmd.DialExitCode(r.err) == cmdutil.ExitAuth {
				code = cmdutil.ExitAuth
			}
			continue
		}
		fmt.Fprintf(f.IO.ErrOut, "reachable: %s\n", r.host)
	}
	if len(probs) > 0 {
		return &cmdutil.ExitError{Code: code, Err: fmt.Errorf("wrote %s, but the reachability preflight failed: %s; fix it, then zdmctl -i %s deploy (or init --offline to skip this check)", path, strings.Join(probs, "; "), path)}
	}
	return nil
}
