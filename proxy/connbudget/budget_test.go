package connbudget

import (
	"bytes"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestOldestIsEvictedFirst(t *testing.T) {
	b := New(3)
	var evicted []int
	var ts []*Ticket
	for i := 0; i < 5; i++ {
		ts = append(ts, b.Admit(func() { evicted = append(evicted, i) }))
	}
	if len(evicted) != 2 || evicted[0] != 0 || evicted[1] != 1 {
		t.Fatalf("evicted %v, want [0 1]", evicted)
	}
	if b.Len() != 3 || b.Evictions() != 2 || !ts[0].Evicted() || ts[2].Evicted() {
		t.Fatalf("len %d evictions %d", b.Len(), b.Evictions())
	}
	// A finished handshake leaves; the next oldest is then the victim.
	ts[2].Release()
	ts[2].Release()
	ts[0].Release() // already evicted: no effect
	if b.Len() != 2 {
		t.Fatalf("len %d after release, want 2", b.Len())
	}
	b.Admit(nil)
	b.Admit(nil)
	if len(evicted) != 3 || evicted[2] != 3 {
		t.Fatalf("evicted %v, want [0 1 3]", evicted)
	}
}

func TestConcurrentAdmitRelease(t *testing.T) {
	b := New(8)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				b.Admit(nil).Release()
			}
		}()
	}
	wg.Wait()
	if b.Len() != 0 {
		t.Fatalf("len %d after all released", b.Len())
	}
}

func TestSummaryLogsOncePerIntervalWithCount(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, nil))
	s := NewSummary(log, "rejected", 200*time.Millisecond)
	for i := 0; i < 5000; i++ {
		s.Add("client", "10.0.0.1:1")
	}
	deadline := time.Now().Add(5 * time.Second)
	total := 0
	var lines int
	for time.Now().Before(deadline) {
		mu.Lock()
		out := buf.String()
		mu.Unlock()
		total, lines = 0, 0
		for _, m := range regexp.MustCompile(`count=(\d+)`).FindAllStringSubmatch(out, -1) {
			n, _ := strconv.Atoi(m[1])
			total += n
			lines++
		}
		if total == 5000 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if total != 5000 || lines > 2 {
		t.Fatalf("%d lines counting %d events, want at most 2 lines counting 5000", lines, total)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
