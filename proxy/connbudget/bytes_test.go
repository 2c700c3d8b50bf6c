package connbudget

import (
	"errors"
	"testing"
	"time"
)

func TestBytesWaitsThenProceeds(t *testing.T) {
	b := NewBytes(100, 5*time.Second)
	if err := b.Acquire(80, 0); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() { got <- b.Acquire(50, 0) }()
	select {
	case err := <-got:
		t.Fatalf("acquired past the budget: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	b.Release(80)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if b.Used() != 50 {
		t.Fatalf("used %d", b.Used())
	}
}

func TestBytesTimeoutAndOversizedAlone(t *testing.T) {
	b := NewBytes(100, 30*time.Millisecond)
	if err := b.Acquire(60, 0); err != nil {
		t.Fatal(err)
	}
	if err := b.Acquire(500, 60); err != nil { // past the budget, but alone: granted
		t.Fatal(err)
	}
	if err := b.Acquire(1, 0); !errors.Is(err, ErrBytesTimeout) {
		t.Fatalf("err %v, want timeout", err)
	}
	b.Release(560)
	if err := b.Acquire(100, 0); err != nil || b.Used() != 100 {
		t.Fatalf("after release: %v used %d", err, b.Used())
	}
}
