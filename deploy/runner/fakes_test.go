package runner

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"strings"
	"sync"
	"testing"

	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/playbooks"
)

// fakeInv is a tiny in-memory inventory: patterns are all, group or host
// names, globs, comma lists and !exclusions.
type fakeInv struct {
	inv *inventory.Inventory
}

func newInv(hosts ...string) *fakeInv {
	inv := &inventory.Inventory{Vars: map[string]any{}}
	g := &inventory.Group{Name: "proxies"}
	for _, h := range hosts {
		inv.Hosts = append(inv.Hosts, &inventory.Host{Name: h, Address: "127.0.0.1", Connection: "local", Vars: map[string]any{}, Groups: []string{"proxies"}})
		g.Hosts = append(g.Hosts, h)
	}
	inv.Groups = []*inventory.Group{g}
	return &fakeInv{inv: inv}
}

func (f *fakeInv) Select(pattern string) ([]*inventory.Host, error) {
	in := map[string]bool{}
	for _, p := range strings.Split(pattern, ",") {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		matched := false
		for _, h := range f.inv.Hosts {
			ok := p == "all" || p == h.Name
			if g, _ := path.Match(p, h.Name); g {
				ok = true
			}
			for _, gn := range h.Groups {
				ok = ok || gn == p
			}
			if ok {
				matched = true
				in[h.Name] = !neg
			}
		}
		if !matched {
			return nil, fmt.Errorf("pattern %q matches no host", p)
		}
	}
	var out []*inventory.Host
	for _, h := range f.inv.Hosts {
		if in[h.Name] {
			out = append(out, h)
		}
	}
	return out, nil
}

func (f *fakeInv) EffectiveVars(host string, overrides map[string]any) (map[string]any, error) {
	out := maps.Clone(f.inv.Vars)
	maps.Copy(out, f.inv.Host(host).Vars)
	maps.Copy(out, overrides)
	return out, nil
}

func (f *fakeInv) IsSecretKey(k string) bool {
	k = strings.ToLower(k)
	return strings.HasSuffix(k, "password") || strings.HasSuffix(k, "token") || strings.HasSuffix(k, "secret")
}

// fakeConn records commands; answer decides their outcome.
type fakeConn struct {
	name   string
	mu     sync.Mutex
	cmds   []string
	become []string
	answer func(host, cmd string) (transport.ExecResult, error)
}

func (c *fakeConn) Host() string { return c.name }
func (c *fakeConn) Exec(_ context.Context, cmd string, o transport.ExecOptions) (transport.ExecResult, error) {
	c.mu.Lock()
	c.cmds = append(c.cmds, cmd)
	if o.Become {
		c.become = append(c.become, cmd+" as "+o.BecomeUser)
	}
	c.mu.Unlock()
	if c.answer != nil {
		return c.answer(c.name, cmd)
	}
	return transport.ExecResult{}, nil
}
func (c *fakeConn) ReadFile(context.Context, string, bool) ([]byte, error) {
	return nil, os.ErrNotExist
}
func (c *fakeConn) Stat(context.Context, string, bool) (transport.FileInfo, error) {
	return transport.FileInfo{}, os.ErrNotExist
}
func (c *fakeConn) Checksum(context.Context, string, bool) (string, bool, error) {
	return "", false, nil
}
func (c *fakeConn) WriteFile(context.Context, string, io.Reader, transport.FileOptions) error {
	return nil
}
func (c *fakeConn) Close() error { return nil }

// fleet hands out fake conns and remembers them.
type fleet struct {
	mu     sync.Mutex
	conns  map[string]*fakeConn
	dialed []string
	answer func(host, cmd string) (transport.ExecResult, error)
	dial   func(h *inventory.Host) error
}

func (f *fleet) Dial(_ context.Context, h *inventory.Host) (transport.Conn, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dialed = append(f.dialed, h.Name)
	if f.dial != nil {
		if err := f.dial(h); err != nil {
			return nil, err
		}
	}
	if f.conns == nil {
		f.conns = map[string]*fakeConn{}
	}
	c := &fakeConn{name: h.Name, answer: f.answer}
	f.conns[h.Name] = c
	return c, nil
}

func (f *fleet) ran(host string) []string {
	f.mu.Lock()
	c := f.conns[host]
	f.mu.Unlock()
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.cmds...)
}

func mustPlaybook(t *testing.T, src string) *playbooks.Playbook {
	t.Helper()
	pb, err := playbooks.Parse("test.yaml", []byte(src), os.DirFS(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	return pb
}

// recorder is an Observer that keeps the order of events.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(s string) { r.mu.Lock(); r.events = append(r.events, s); r.mu.Unlock() }
func (r *recorder) PlayStart(p *playbooks.Play, hosts []string) {
	r.add("play " + p.Name + " " + strings.Join(hosts, ","))
}
func (r *recorder) BatchStart(_ *playbooks.Play, i, of int, hosts []string) {
	r.add(fmt.Sprintf("batch %d/%d %s", i, of, strings.Join(hosts, ",")))
}
func (r *recorder) TaskDone(tr *TaskResult) {}
func (r *recorder) BatchDone(_ *playbooks.Play, b *BatchResult) {
	r.add(fmt.Sprintf("done %d/%d failed=%v", b.Index, b.Of, b.Failed))
}
func (r *recorder) RunDone(*Result) { r.add("end") }

func parseForBench(src string) (*playbooks.Playbook, error) {
	return playbooks.Parse("bench.yaml", []byte(src), nil)
}
