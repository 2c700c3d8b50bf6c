package procstat

import (
	"os"
	"testing"
	"time"
)

func TestParseSample(t *testing.T) {
	// A real line whose command name contains spaces and parentheses.
	line := "4242 (zdm proxy (x)) S 1 4242 4242 0 -1 4194560 1532 0 0 0 1234 567 0 0 20 0 9 0 123456 1270816768 5000 18446744073709551615 1 1 0 0 0 0 0 0 2143420159 0 0 0 17 1 0 0 0 0 0\n"
	c, err := Parse([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if c.User != 12340*time.Millisecond || c.System != 5670*time.Millisecond {
		t.Fatalf("got user %v system %v", c.User, c.System)
	}
	if c.Total() != 18010*time.Millisecond {
		t.Fatalf("total %v", c.Total())
	}
	d := c.Sub(CPU{User: time.Second, System: time.Second})
	if d.User != 11340*time.Millisecond || d.System != 4670*time.Millisecond {
		t.Fatalf("sub %+v", d)
	}
}

func TestParseRejectsGarbage(t *testing.T) {
	for _, in := range []string{"", "1 (x", "1 (x) S 1 2 3", "1 (x) S 1 2 3 4 5 6 7 8 9 10 abc 5 6"} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) succeeded", in)
		}
	}
}

func TestReadSelfAdvances(t *testing.T) {
	before, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Burn CPU until the tick counter moves; bounded by iterations, not time.
	x := 0
	var after CPU
	for i := 0; i < 2000; i++ {
		for j := 0; j < 1_000_000; j++ {
			x += j ^ i
		}
		if after, err = Read(os.Getpid()); err != nil {
			t.Fatal(err)
		}
		if after.Total() > before.Total() {
			break
		}
	}
	if after.Total() <= before.Total() {
		t.Fatalf("cpu time did not advance: %v -> %v (%d)", before, after, x)
	}
}

func TestReadMissingProcess(t *testing.T) {
	if _, err := Read(1 << 30); err == nil {
		t.Fatal("reading a non-existent pid succeeded")
	}
}
