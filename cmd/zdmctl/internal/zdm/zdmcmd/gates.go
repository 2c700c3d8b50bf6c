package zdmcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

// Gates evaluates the go/no-go checks before the command that follows the
// fleet's phase: fleet checks from fs, metric checks from the first
// monitoring host's Prometheus, queried over SSH on that host (it may
// listen on a private address only). Settings come from that host's vars
// (the global ones without a monitoring host).
func (e *Env) Gates(ctx context.Context, fs *FleetStatus) (next string, checks []zdm.Check, err error) {
	err = e.withGateSource(ctx, func(s zdm.GateSettings, q zdm.Querier) {
		next, checks = zdm.Gates(fs.Phase, fs.Proxies, s, q)
	})
	return next, checks, err
}

// withGateSource calls fn with the gate settings and the querier of the
// first monitoring host's Prometheus (nil without a monitoring host),
// whose SSH connection stays open while fn runs.
func (e *Env) withGateSource(ctx context.Context, fn func(zdm.GateSettings, zdm.Querier)) error {
	vars := map[string]any{}
	if len(e.Fleet.Proxies) > 0 {
		vars = e.monitorVars(e.Fleet.Proxies[0].Name)
	}
	if len(e.Fleet.Monitors) > 0 {
		vars = e.monitorVars(e.Fleet.Monitors[0].Name)
	}
	s, err := zdm.GateSettingsFrom(vars)
	if err != nil {
		return err
	}
	if len(e.Fleet.Monitors) == 0 {
		fn(s, nil)
		return nil
	}
	prom, _ := zdm.MonitorProbeAddrs(vars)
	e.Each(ctx, e.Fleet.Monitors[:1], func(_ int, h *inventory.Host, conn transport.Conn, cerr error) {
		fn(s, func(promql string) (float64, bool, error) {
			if cerr != nil {
				return 0, false, fmt.Errorf("monitoring host %s: %w", h.Name, cerr)
			}
			return promQuery(ctx, conn, prom, promql)
		})
	})
	return nil
}

// promQuery runs an instant query on the Prometheus at addr, from the
// host conn reaches, and returns the first sample's value.
func promQuery(ctx context.Context, conn transport.Conn, addr, promql string) (float64, bool, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, false, err
	}
	path := "/api/v1/query?query=" + url.QueryEscape(promql)
	script := fmt.Sprintf("exec 3<>/dev/tcp/%s/%s || exit 1\nprintf 'GET %%s HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' '%s' >&3\ntimeout 10 cat <&3\n", host, port, path)
	res, err := conn.Exec(ctx, "bash -s", transport.ExecOptions{Stdin: strings.NewReader(script)})
	if err != nil {
		return 0, false, fmt.Errorf("query Prometheus at %s: %w", addr, err)
	}
	_, body, ok := strings.Cut(string(res.Stdout), "\r\n\r\n")
	if !ok {
		return 0, false, fmt.Errorf("Prometheus at %s: no HTTP answer", addr)
	}
	var doc struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value []any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		return 0, false, fmt.Errorf("Prometheus at %s: %w", addr, err)
	}
	if doc.Status != "success" {
		return 0, false, fmt.Errorf("Prometheus at %s: %s", addr, doc.Error)
	}
	if len(doc.Data.Result) == 0 || len(doc.Data.Result[0].Value) != 2 {
		return 0, false, nil
	}
	s, _ := doc.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false, fmt.Errorf("Prometheus at %s: value %q", addr, s)
	}
	return v, true, nil
}
