package gocqlmatrix

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// connect opens the session and reports what the driver sees: the negotiated
// protocol version, system.local, system.peers(_v2) and the driver's host list.
func (r *runner) connect(ctx context.Context) (string, error) {
	s, err := r.cl.CreateSession()
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", r.cfg.Contact, err)
	}
	r.s = s
	var cluster, release string
	var rpc net.IP
	if err := s.Query("SELECT cluster_name, release_version, rpc_address FROM system.local").
		WithContext(ctx).Scan(&cluster, &release, &rpc); err != nil {
		return "", fmt.Errorf("read system.local: %w", err)
	}
	peers, err := r.peers(ctx)
	if err != nil {
		return "", err
	}
	var hosts []string
	for _, h := range s.GetHosts() {
		hosts = append(hosts, net.JoinHostPort(h.ConnectAddress().String(), strconv.Itoa(h.Port())))
	}
	sort.Strings(hosts)
	v := r.obs.v.Load()
	if r.cfg.Proto != 0 && int(v) != r.cfg.Proto {
		return "", fmt.Errorf("asked for protocol v%d, frames say v%d", r.cfg.Proto, v)
	}
	fmt.Fprintf(r.cfg.Out, "INFO protocol=v%d\n", v)
	fmt.Fprintf(r.cfg.Out, "INFO local: cluster=%s release=%s rpc_address=%s\n", cluster, release, rpc)
	fmt.Fprintf(r.cfg.Out, "INFO peers: [%s]\n", strings.Join(peers, " "))
	fmt.Fprintf(r.cfg.Out, "INFO driver-hosts: [%s]\n", strings.Join(hosts, " "))
	return fmt.Sprintf("protocol v%d, cluster %s, %d peer(s)", v, cluster, len(peers)), nil
}

// peers lists system.peers_v2 (native address and port) or, when the node has
// no such table, system.peers.
func (r *runner) peers(ctx context.Context) ([]string, error) {
	var out []string
	var addr net.IP
	var port int
	it := r.s.Query("SELECT native_address, native_port FROM system.peers_v2").WithContext(ctx).Iter()
	for it.Scan(&addr, &port) {
		out = append(out, net.JoinHostPort(addr.String(), strconv.Itoa(port)))
	}
	if err := it.Close(); err == nil {
		sort.Strings(out)
		return out, nil
	}
	out = out[:0]
	it = r.s.Query("SELECT rpc_address FROM system.peers").WithContext(ctx).Iter()
	for it.Scan(&addr) {
		out = append(out, addr.String())
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("read system.peers: %w", err)
	}
	sort.Strings(out)
	return out, nil
}
