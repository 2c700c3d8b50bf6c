package load

import (
	"context"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/proxy/bench/internal/memcql"
)

func startServer(t *testing.T) *memcql.Server {
	t.Helper()
	srv, err := memcql.Listen("127.0.0.1:0", "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func TestOpsAgainstMemcql(t *testing.T) {
	srv := startServer(t)
	s, err := Connect(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	ins, sel := Insert(s), Select(s)
	for i := int64(0); i < 5; i++ {
		if err := ins(ctx, i); err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
	}
	for i := int64(0); i < 3; i++ {
		if err := sel(ctx, i); err != nil {
			t.Fatalf("select %d: %v", i, err)
		}
	}
	if c := srv.Counts(); c.Writes != 5 || c.Reads != 3 {
		t.Fatalf("server counted %+v, want 5 writes and 3 reads", c)
	}
}

type countingWindow struct{ begins, ends int }

func (w *countingWindow) Begin() { w.begins++ }
func (w *countingWindow) End()   { w.ends++ }

func TestOpenLoopIssuesEveryScheduledOp(t *testing.T) {
	srv := startServer(t)
	s, err := Connect(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := OpenLoop{Rate: 1000, Warmup: 50 * time.Millisecond, Measure: 200 * time.Millisecond, MaxInFlight: 64}
	w := &countingWindow{}
	res := cfg.Run(context.Background(), Insert(s), w)
	want := int64((cfg.Warmup + cfg.Measure + tail) / time.Millisecond)
	if got := srv.Counts().Writes; got != want {
		t.Fatalf("server saw %d writes, want %d", got, want)
	}
	if res.Errors != 0 || res.FirstErr != nil {
		t.Fatalf("errors: %d, first %v", res.Errors, res.FirstErr)
	}
	if w.begins != 1 || w.ends != 1 {
		t.Fatalf("window begun %d ended %d times", w.begins, w.ends)
	}
	if res.PacerLag.Len() != int(cfg.Measure/time.Millisecond) {
		t.Fatalf("pacer lag samples %d, want one per in-window op (%d)", res.PacerLag.Len(), cfg.Measure/time.Millisecond)
	}
	if int64(res.Latencies.Len()) > res.Ops || res.Ops > want {
		t.Fatalf("ops %d latencies %d scheduled %d", res.Ops, res.Latencies.Len(), want)
	}
}

func TestClosedLoopCountsWhatServerSaw(t *testing.T) {
	srv := startServer(t)
	s, err := Connect(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := ClosedLoop{Concurrency: 8, Warmup: 50 * time.Millisecond, Measure: 300 * time.Millisecond, Capacity: 1 << 16}
	w := &countingWindow{}
	res := cfg.Run(context.Background(), Select(s), w)
	if res.Errors != 0 || res.FirstErr != nil {
		t.Fatalf("errors: %d, first %v", res.Errors, res.FirstErr)
	}
	if total := srv.Counts().Reads; res.Ops == 0 || res.Ops > total {
		t.Fatalf("window ops %d, server reads %d", res.Ops, total)
	}
	if int64(res.Latencies.Len()) != res.Ops || w.begins != 1 || w.ends != 1 {
		t.Fatalf("latencies %d ops %d begins %d ends %d", res.Latencies.Len(), res.Ops, w.begins, w.ends)
	}
}
