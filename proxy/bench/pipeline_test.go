package bench

import (
	"context"
	"io"
	"testing"

	"github.com/zdmctl/zdmctl/proxy/bench/internal/memcql"
	"github.com/zdmctl/zdmctl/proxy/bench/internal/proxyproc"
)

// TestPipelineThroughStandIn exercises the plumbing `make bench` relies on,
// without measuring anything: build a proxy binary, write its config, start
// it as a process, reach Origin through it with gocql, and stop it.
func TestPipelineThroughStandIn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	ctx := context.Background()
	repo, err := proxyproc.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	h := &Harness{opts: Options{StandIn: true}, repo: repo, tmp: t.TempDir(), progress: io.Discard}
	if err := h.resolveProxy(ctx); err != nil {
		t.Fatal(err)
	}
	if h.origin, err = memcql.Listen(originIP+":0", "origin"); err != nil {
		t.Fatal(err)
	}
	defer h.origin.Close()
	if h.target, err = memcql.Listen(targetIP+":0", "target"); err != nil {
		t.Fatal(err)
	}
	defer h.target.Close()

	sc := Scenarios[0] // dual writes
	proc, listen, err := h.startProxy(0, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Stop()
	s, err := h.openSide(ctx, sc, listen, proc)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	for i := int64(0); i < 10; i++ {
		if err := s.op(ctx, i); err != nil {
			t.Fatalf("insert %d through the stand-in: %v", i, err)
		}
	}
	// openSide's first operation plus ten; the stand-in only forwards to Origin.
	if o, tg := h.origin.Counts(), h.target.Counts(); o.Writes != 11 || tg.Writes != 0 {
		t.Fatalf("origin %+v target %+v, want 11 writes on origin only", o, tg)
	}
	cpu, err := proc.CPU()
	if err != nil || cpu.Total() < 0 {
		t.Fatalf("proxy cpu %v: %v", cpu, err)
	}
	if err := proc.Stop(); err != nil {
		t.Fatal(err)
	}
	if proc.Alive() {
		t.Fatal("stand-in still alive after Stop")
	}
}
