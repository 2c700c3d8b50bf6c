package zdmcmd

import (
	"context"

	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

// Journals reads the journal of missed writes of every proxy (all of them,
// --limit or not) in parallel.
func (e *Env) Journals(ctx context.Context) []zdm.HostJournal {
	out := make([]zdm.HostJournal, len(e.Fleet.Proxies))
	e.Each(ctx, e.Fleet.Proxies, func(i int, h *inventory.Host, conn transport.Conn, err error) {
		if err != nil {
			out[i] = zdm.HostJournal{Host: h.Name, Error: err.Error()}
			return
		}
		out[i] = zdm.JournalStatus(ctx, conn)
	})
	return out
}

// JournalGate refuses to make cluster the primary while any proxy holds
// writes that cluster missed (zdm.JournalGate).
func (e *Env) JournalGate(ctx context.Context, cluster string) error {
	return zdm.JournalGate(e.Journals(ctx), cluster)
}
