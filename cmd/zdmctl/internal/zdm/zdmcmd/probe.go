package zdmcmd

import (
	"context"
	"sync/atomic"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"

	"github.com/zdmctl/zdmctl/deploy/output"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

// FleetStatus is the live fleet: the data of `status -o json` (under
// "data"; the document's ok, exit_code and error say whether it is
// healthy).
type FleetStatus struct {
	Proxies  []zdm.HostStatus    `json:"proxies"`
	Monitors []zdm.MonitorStatus `json:"monitoring,omitempty"`
	Summary  string              `json:"summary"`
	// OK: every proxy ready with no drift; the document's "ok".
	OK    bool      `json:"-"`
	Phase zdm.Phase `json:"phase"`
	// Unsaved says which proxies run a change not yet saved in the
	// inventory (an unfinished rolling-update) and how to finish it.
	Unsaved string `json:"unsaved_change,omitempty"`

	authFailed bool // a host refused us (host key, credentials)
}

// FailCode is the exit code of an unhealthy fleet: 4 when SSH
// authentication or a host key failed on some host, else 1.
func (fs *FleetStatus) FailCode() int {
	if fs.authFailed {
		return cmdutil.ExitAuth
	}
	return cmdutil.ExitFailed
}

// Document is the `-o json` document of fs: its data under "data", and
// ok, exit_code and error as every other command's document has them.
func (fs *FleetStatus) Document() output.Document {
	doc := output.Document{OK: fs.OK, Data: fs}
	if !fs.OK {
		doc.ExitCode, doc.Error = fs.FailCode(), "fleet not healthy: "+fs.Summary
	}
	return doc
}

// Probe reads every proxy (and monitoring host) in parallel, over SSH.
func (e *Env) Probe(ctx context.Context) *FleetStatus {
	fs := &FleetStatus{Proxies: make([]zdm.HostStatus, len(e.Fleet.Proxies)), Monitors: make([]zdm.MonitorStatus, len(e.Fleet.Monitors))}
	var authFailed atomic.Bool
	e.Each(ctx, e.Fleet.Proxies, func(i int, h *inventory.Host, conn transport.Conn, err error) {
		want := e.Fleet.Configs[h.Name].SHA256()
		if err != nil {
			if DialExitCode(err) == cmdutil.ExitAuth {
				authFailed.Store(true)
			}
			fs.Proxies[i] = zdm.HostStatus{Host: h.Name, Address: h.Address, WantSHA256: want, Error: err.Error(), NotReadyReason: "unreachable"}
			return
		}
		st := zdm.ProbeAPI(ctx, conn, e.AdminPort(h.Name), e.APIPort(h.Name), want)
		st.Address = h.Address
		st.ExplainDrift(e.Fleet.Configs[h.Name])
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
	fs.authFailed = authFailed.Load()
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
