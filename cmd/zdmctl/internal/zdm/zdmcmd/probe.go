package zdmcmd

import (
	"context"

	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

// FleetStatus is the live fleet.
type FleetStatus struct {
	Proxies  []zdm.HostStatus    `json:"proxies"`
	Monitors []zdm.MonitorStatus `json:"monitoring,omitempty"`
	Summary  string              `json:"summary"`
	OK       bool                `json:"ok"`
	Phase    zdm.Phase           `json:"phase"`
	// Unsaved says which proxies run a change not yet saved in the
	// inventory (an unfinished rolling-update) and how to finish it.
	Unsaved string `json:"unsaved_change,omitempty"`
}

// Probe reads every proxy (and monitoring host) in parallel, over SSH.
func (e *Env) Probe(ctx context.Context) *FleetStatus {
	fs := &FleetStatus{Proxies: make([]zdm.HostStatus, len(e.Fleet.Proxies)), Monitors: make([]zdm.MonitorStatus, len(e.Fleet.Monitors))}
	e.Each(ctx, e.Fleet.Proxies, func(i int, h *inventory.Host, conn transport.Conn, err error) {
		want := e.Fleet.Configs[h.Name].SHA256()
		if err != nil {
			fs.Proxies[i] = zdm.HostStatus{Host: h.Name, Address: h.Address, WantSHA256: want, Error: err.Error(), NotReadyReason: "unreachable"}
			return
		}
		st := zdm.ProbeAPI(ctx, conn, e.AdminPort(h.Name), e.APIPort(h.Name), want)
		st.Address = h.Address
		fs.Proxies[i] = st
	})
	e.Each(ctx, e.Fleet.Monitors, func(i int, h *inventory.Host, conn transport.Conn, err error) {
		if err != nil {
			fs.Monitors[i] = zdm.MonitorStatus{Host: h.Name, Error: err.Error()}
			return
		}
		vars := e.monitorVars(h.Name)
		prom, grafana := zdm.MonitorProbeAddrs(vars)
		fs.Monitors[i] = zdm.ProbeMonitor(ctx, conn, prom, grafana)
	})
	e.explainUnsaved(fs)
	fs.Summary, fs.OK = zdm.Summary(fs.Proxies)
	if fs.Unsaved != "" {
		fs.Summary += " · " + fs.Unsaved
	}
	for _, m := range fs.Monitors {
		switch {
		case m.Down():
			fs.Summary += " · monitoring down on " + m.Host
		case m.PrometheusState == zdm.ServiceNotDeployed:
			fs.Summary += " · monitoring not deployed on " + m.Host
		}
	}
	fs.Phase = zdm.DetectPhase(fs.Proxies)
	return fs
}

func (e *Env) monitorVars(host string) map[string]any {
	v, err := e.Inv.EffectiveVars(host, e.Overrides)
	if err != nil {
		return nil
	}
	return v
}
