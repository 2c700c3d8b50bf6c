package teardown

import (
	"context"
	"fmt"
	"strings"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/zdmcmd"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

// hostClients is one proxy's connected clients, or why they are unknown.
type hostClients struct {
	host    string
	clients int64
	unknown string // why the count could not be read ("" when read)
}

// clientsOf reads each target proxy's client connections (its admin API,
// over SSH on the host).
func clientsOf(ctx context.Context, env *zdmcmd.Env) []hostClients {
	var hosts []*inventory.Host
	for _, name := range env.Targets {
		hosts = append(hosts, env.Host(name))
	}
	out := make([]hostClients, len(hosts))
	env.Each(ctx, hosts, func(i int, h *inventory.Host, conn transport.Conn, err error) {
		out[i].host = h.Name
		if err != nil {
			out[i].unknown = err.Error()
			return
		}
		st := zdm.ProbeAPI(ctx, conn, env.AdminPort(h.Name), env.APIPort(h.Name), "")
		switch {
		case !st.Reachable:
			out[i].unknown = st.Error
		case st.Version != "":
			out[i].clients = st.ClientConnections
		case st.Service == "active" || st.Service == "activating" || st.Service == "reloading":
			out[i].unknown = "the proxy runs but its admin API does not answer"
		}
	})
	return out
}

// busyMessage names the hosts with clients (and those that could not be
// read); "" when every proxy is idle.
func busyMessage(hc []hostClients) string {
	var parts []string
	for _, c := range hc {
		switch {
		case c.unknown != "":
			parts = append(parts, fmt.Sprintf("%s: clients unknown (%s)", c.host, oneLine(c.unknown)))
		case c.clients == 1:
			parts = append(parts, c.host+": 1 client connection")
		case c.clients > 1:
			parts = append(parts, fmt.Sprintf("%s: %d client connections", c.host, c.clients))
		}
	}
	return strings.Join(parts, ", ")
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
