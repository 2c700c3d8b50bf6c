// Package zdmcmd is what the ZDM commands (deploy, rolling-update,
// rolling-restart, status, phase, teardown, logs) share: loading and
// validating the inventory before any host is contacted, the health-gated
// rollout with lock, journal and rollback, and the live fleet probe.
package zdmcmd

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

// Env is a loaded, validated inventory and its rendered fleet.
type Env struct {
	F         *cmdutil.Factory
	Inv       cmdutil.Inventory
	Path      string
	Fleet     *zdm.Fleet
	Overrides map[string]any // --set and command flags not saved in the file
	// Targets are the proxies selected by --limit (all when unset).
	Targets []string
	// conns are the command's connections, one per host, shared by its
	// stages (conns.go); Close ends them.
	conns conns
}

// Load reads the inventory and renders every proxy's config with
// overrides; every problem is a usage error, found before connecting.
// peer_notice_token defaults to the token deploy generated, if any
// (peertoken.go).
func Load(f *cmdutil.Factory, overrides map[string]any) (*Env, error) {
	return load(f, overrides, false)
}

// LoadForDeploy is Load that also generates the fleet's peer notice
// token beside the inventory when the inventory sets none and none was
// generated yet.
func LoadForDeploy(f *cmdutil.Factory, overrides map[string]any) (*Env, error) {
	return load(f, overrides, true)
}

func load(f *cmdutil.Factory, overrides map[string]any, createPeerToken bool) (*Env, error) {
	inv, err := f.LoadInventory(f.Settings.Inventory)
	if err != nil {
		return nil, cmdutil.UsageError(fmt.Errorf("inventory: %w", err))
	}
	if err := defaultPeerToken(inv, f.Settings.Inventory, overrides, createPeerToken); err != nil {
		return nil, err
	}
	fleet, err := zdm.Plan(inv, overrides)
	if err != nil {
		return nil, cmdutil.UsageError(zdm.InventoryError(f.Settings.Inventory, err))
	}
	if err := zdm.CheckIdentityFiles(inv, append(slices.Clip(fleet.Proxies), fleet.Monitors...)); err != nil {
		return nil, cmdutil.UsageError(zdm.InventoryError(f.Settings.Inventory, err))
	}
	e := &Env{F: f, Inv: inv, Path: f.Settings.Inventory, Fleet: fleet, Overrides: overrides}
	e.Targets = fleet.Names()
	if lim := f.Settings.Limit; lim != "" {
		hosts, err := inv.Select(lim)
		if err != nil {
			return nil, cmdutil.UsageError(fmt.Errorf("--limit %s: %w", lim, err))
		}
		var sel []string
		for _, h := range hosts {
			if slices.Contains(e.Targets, h.Name) {
				sel = append(sel, h.Name)
			}
		}
		if len(sel) == 0 {
			return nil, cmdutil.UsageError(fmt.Errorf("--limit %s selects no host of the %q group", lim, zdm.ProxyGroup))
		}
		e.Targets = sel
	}
	return e, nil
}

// AdminPort is the proxy admin/metrics port of host.
func (e *Env) AdminPort(host string) int {
	if c := e.Fleet.Configs[host]; c != nil {
		if v := c.Values["metrics_port"]; v != "" {
			var n int
			fmt.Sscan(v, &n)
			return n
		}
	}
	return zdm.AdminPort
}

// APIPort is the proxy's admin API port of host (admin_port: status and
// running config), read over SSH on the host, so loopback is fine.
func (e *Env) APIPort(host string) int {
	if c := e.Fleet.Configs[host]; c != nil {
		if v := c.Values["admin_port"]; v != "" {
			var n int
			fmt.Sscan(v, &n)
			return n
		}
	}
	return zdm.APIPort
}

// Dial returns the command's connection to h (dialed with the configured
// options on first use, then shared by every stage until Close).
func (e *Env) Dial(ctx context.Context, h *inventory.Host) (transport.Conn, error) {
	e.conns.mu.Lock()
	if e.conns.dial == nil {
		e.conns.dial = e.F.Dial(e.F.DialOptions())
	}
	e.conns.mu.Unlock()
	return e.conns.get(ctx, h)
}

// Close ends the command's connections (a later Dial dials again).
func (e *Env) Close() error { return e.conns.closeAll() }

// Each runs fn for every host in parallel (forks bound) with its
// connection; a dial error is passed as err with a nil conn.
func (e *Env) Each(ctx context.Context, hosts []*inventory.Host, fn func(i int, h *inventory.Host, conn transport.Conn, err error)) {
	forks := e.F.Settings.Forks
	if forks <= 0 {
		forks = 10
	}
	sem := make(chan struct{}, forks)
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			conn, err := e.Dial(ctx, h)
			if err != nil {
				fn(i, h, nil, err)
				return
			}
			defer conn.Close()
			fn(i, h, conn, nil)
		}()
	}
	wg.Wait()
}

// Host returns the named host.
func (e *Env) Host(name string) *inventory.Host { return e.Inv.Host(name) }
