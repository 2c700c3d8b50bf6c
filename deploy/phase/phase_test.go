package phase

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

type rec struct{ log *[]string }

type full struct {
	rec
	name       string
	should     bool
	runErr     error
	prepareErr error
}

func (p full) Title() string { return p.name }
func (p full) Prepare(context.Context) error {
	*p.log = append(*p.log, "prepare "+p.name)
	return p.prepareErr
}
func (p full) ShouldRun() bool { return p.should }
func (p full) Run(context.Context) error {
	*p.log = append(*p.log, "run "+p.name)
	return p.runErr
}
func (p full) DryRun(context.Context) error {
	*p.log = append(*p.log, "dryrun "+p.name)
	return nil
}
func (p full) CleanUp(context.Context) { *p.log = append(*p.log, "cleanup "+p.name) }

func TestManagerOrder(t *testing.T) {
	var log []string
	r := rec{&log}
	m := &Manager{Phases: []Phase{
		full{r, "a", true, nil, nil},
		full{r, "b", false, nil, nil},
		full{r, "c", true, errors.New("boom"), nil},
		full{r, "d", true, nil, nil},
	}}
	err := m.Run(context.Background())
	if err == nil || err.Error() != "c: boom" {
		t.Fatalf("err %v", err)
	}
	want := []string{"prepare a", "prepare b", "prepare c", "prepare d", "run a", "run c", "cleanup d", "cleanup c", "cleanup b", "cleanup a"}
	if !reflect.DeepEqual(log, want) {
		t.Fatalf("log %q", log)
	}
}

func TestManagerPrepareFailsBeforeRunning(t *testing.T) {
	var log []string
	r := rec{&log}
	m := &Manager{Phases: []Phase{full{r, "a", true, nil, nil}, full{r, "b", true, nil, errors.New("bad config")}, full{r, "c", true, nil, nil}}}
	if err := m.Run(context.Background()); err == nil {
		t.Fatal("no error")
	}
	want := []string{"prepare a", "prepare b", "cleanup a"}
	if !reflect.DeepEqual(log, want) {
		t.Fatalf("log %q", log)
	}
}

func TestManagerDryRun(t *testing.T) {
	var log []string
	r := rec{&log}
	ran := false
	m := &Manager{DryRun: true, Phases: []Phase{full{r, "a", true, nil, nil}, Func("plain", func(context.Context) error { ran = true; return nil })}}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ran || !reflect.DeepEqual(log, []string{"prepare a", "dryrun a", "cleanup a"}) {
		t.Fatalf("ran %v log %q", ran, log)
	}
}

func TestManagerSkip(t *testing.T) {
	second := false
	m := &Manager{Phases: []Phase{
		Func("first", func(context.Context) error { return ErrSkip }),
		Func("second", func(context.Context) error { second = true; return nil }),
	}}
	if err := m.Run(context.Background()); err != nil || second {
		t.Fatalf("err %v second %v", err, second)
	}
}
