package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/journal"
)

func rec(i int) *journal.Record {
	return &journal.Record{Kind: journal.Replayable, Cluster: "TARGET", Keyspace: "ks", Table: "t",
		Consistency: 0x0A, Timestamp: 1_700_000_000_000_000 + int64(i), BatchType: journal.NoBatch,
		Statements: []journal.Statement{{Query: "INSERT INTO ks.t (k, v) VALUES (?, ?)",
			Values: []journal.Value{{B: []byte(fmt.Sprintf("k%d", i))}, {B: []byte("v")}}}}}
}

func fill(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	set, err := journal.OpenSet(dir, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := set.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	r := rec(99)
	r.Kind = journal.NeedsRepair
	_ = set.Append(r)
	set.Close()
	return dir
}

type fakeExec struct {
	failAt    int
	unhealthy bool
	got       []int64
}

func (f *fakeExec) Healthy(context.Context, string) error {
	if f.unhealthy {
		return errors.New("connection refused")
	}
	return nil
}

func (f *fakeExec) Exec(_ context.Context, r journal.Record) error {
	if len(f.got) == f.failAt {
		f.failAt = -1 // fails once
		return errors.New("write timeout")
	}
	f.got = append(f.got, r.Timestamp)
	return nil
}

func TestReplayAcksOnlyWhatTheClusterTookAndResumes(t *testing.T) {
	dir := fill(t, 10)
	if _, err := Replay(context.Background(), dir, &fakeExec{unhealthy: true}, Options{}); err == nil || !strings.Contains(err.Error(), "nothing replayed") {
		t.Fatalf("an unhealthy cluster must stop the replay before it starts: %v", err)
	}
	ex := &fakeExec{failAt: 4}
	res, err := Replay(context.Background(), dir, ex, Options{})
	if err == nil || res.Replayed != 4 || res.Pending != 10 || res.Error == "" {
		t.Fatalf("first pass: %+v %v", res, err)
	}
	var calls int
	res, err = Replay(context.Background(), dir, ex, Options{Rate: 1000, Progress: func(int64, int64) { calls++ }})
	if err != nil || res.Replayed != 6 || res.Remaining != 0 || res.Pending != 6 {
		t.Fatalf("second pass: %+v %v", res, err)
	}
	if len(ex.got) != 10 || calls == 0 {
		t.Fatalf("replayed %d records, progress calls %d", len(ex.got), calls)
	}
	for i, ts := range ex.got {
		if ts != rec(i).Timestamp {
			t.Fatalf("record %d replayed out of order or with timestamp %d", i, ts)
		}
	}
	rep, _ := journal.InspectSet(dir)
	if rep.Pending != 0 || rep.NeedsRepair != 1 {
		t.Fatalf("after replay: %+v: needs-repair records stay", rep)
	}
}

func TestReplayLimit(t *testing.T) {
	dir := fill(t, 5)
	res, err := Replay(context.Background(), dir, &fakeExec{failAt: -1}, Options{Limit: 2})
	if err != nil || res.Replayed != 2 || res.Remaining != 3 {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestGocqlExecutorSendsTimestampConsistencyAndValues(t *testing.T) {
	target := cqltest.Start(t, cqltest.Options{Name: "target"})
	cfg, _, err := config.Load("", []string{"ZDM_ORIGIN_CONTACT_POINTS=127.0.0.1", "ZDM_TARGET_CONTACT_POINTS=" + target.Host(),
		fmt.Sprintf("ZDM_TARGET_PORT=%d", target.Port())})
	if err != nil {
		t.Fatal(err)
	}
	g := NewGocql(cfg)
	defer g.Close()
	ctx := context.Background()
	if err := g.Healthy(ctx, "TARGET"); err != nil {
		t.Fatal(err)
	}
	if err := g.Exec(ctx, *rec(1)); err != nil {
		t.Fatal(err)
	}
	b := rec(2)
	b.BatchType = 1
	b.Statements = append(b.Statements, journal.Statement{Query: "DELETE FROM ks.t WHERE k = 'x'"})
	if err := g.Exec(ctx, *b); err != nil {
		t.Fatal(err)
	}
	var q, batch *cqltest.Received
	for _, r := range target.Received() {
		r := r
		switch {
		case r.Opcode == primitive.OpCodeExecute && strings.Contains(r.Query, "INSERT INTO ks.t"):
			q = &r
		case r.Opcode == primitive.OpCodeBatch:
			batch = &r
		}
	}
	if q == nil || q.Timestamp == nil || *q.Timestamp != rec(1).Timestamp || q.Consistency != primitive.ConsistencyLevelLocalOne ||
		len(q.Values) != 2 || string(q.Values[0]) != "k1" {
		t.Fatalf("replayed write as received: %+v", q)
	}
	if batch == nil || batch.Timestamp == nil || *batch.Timestamp != rec(2).Timestamp || len(batch.Children) != 2 {
		t.Fatalf("replayed batch as received: %+v", batch)
	}
	nr := rec(3)
	nr.Kind = journal.NeedsRepair
	if err := g.Exec(ctx, *nr); err == nil {
		t.Fatal("a needs-repair record must never be sent")
	}
}

type refused struct{}

func (refused) Error() string { return "unconfigured table t" }
func (refused) Refused() bool { return true }

type refusingExec struct {
	fakeExec
	refuse map[int64]bool
}

func (f *refusingExec) Exec(ctx context.Context, r journal.Record) error {
	if f.refuse[r.Timestamp] {
		return refused{}
	}
	return f.fakeExec.Exec(ctx, r)
}

func TestReplaySkipsRefusedOnlyWhenAsked(t *testing.T) {
	dir := fill(t, 5)
	ex := &refusingExec{fakeExec: fakeExec{failAt: -1}, refuse: map[int64]bool{rec(1).Timestamp: true}}
	res, err := Replay(context.Background(), dir, ex, Options{})
	if err == nil || res.Replayed != 1 {
		t.Fatalf("without SkipRefused a refused record stops the replay: %+v %v", res, err)
	}
	res, err = Replay(context.Background(), dir, ex, Options{SkipRefused: true})
	if err != nil || res.Skipped != 1 || res.Replayed != 3 || res.Remaining != 0 || len(res.Refused) != 1 || !strings.Contains(res.Refused[0], "unconfigured table") {
		t.Fatalf("with SkipRefused: %+v %v", res, err)
	}
}
