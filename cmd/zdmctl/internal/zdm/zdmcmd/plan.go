package zdmcmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

// printPlan prints, per selected proxy, how its config on the host differs
// from what the inventory renders now and whether that means a reload or a
// restart (secret values masked), on stdout (stderr with -o json).
func (r *Rollout) printPlan(ctx context.Context) {
	e := r.Env
	var hosts []*inventory.Host
	for _, n := range e.Targets {
		hosts = append(hosts, e.Host(n))
	}
	lines := make([]string, len(hosts))
	e.Each(ctx, hosts, func(i int, h *inventory.Host, conn transport.Conn, err error) {
		var b strings.Builder
		switch {
		case err != nil:
			fmt.Fprintf(&b, "PLAN %s: unreachable: %v\n", h.Name, err)
		default:
			old, rerr := conn.ReadFile(ctx, zdm.ConfigPath, true)
			cfg := e.Fleet.Configs[h.Name]
			if rerr != nil {
				fmt.Fprintf(&b, "PLAN %s: install (no %s yet)\n", h.Name, zdm.ConfigPath)
				break
			}
			changes, restart := cfg.Changes(string(old))
			action := "reload"
			if restart {
				action = "restart"
			}
			if len(changes) == 0 {
				action = "no config change"
			}
			if r.Binary != nil {
				action += "; binary " + r.Binary.Name + " (restart if it differs)"
			}
			fmt.Fprintf(&b, "PLAN %s: %s\n", h.Name, action)
			for _, c := range changes {
				fmt.Fprintf(&b, "  %s\n", c)
			}
		}
		lines[i] = b.String()
	})
	// With -o json stdout holds the one JSON document only: the plan
	// goes to stderr, with the progress.
	w := r.Env.F.IO.Out
	if r.Env.F.Settings.JSON() {
		w = r.Env.F.IO.ErrOut
	}
	for _, l := range lines {
		fmt.Fprint(w, l)
	}
}
