package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/playbooks"
)

func localDial(_ context.Context, h *inventory.Host) (transport.Conn, error) {
	return transport.NewLocal(h.Name), nil
}

func TestBatches(t *testing.T) {
	hosts := []string{"a", "b", "c", "d", "e", "f", "g"}
	cases := []struct {
		serial []playbooks.SerialStep
		want   []int
	}{
		{nil, []int{7}},
		{[]playbooks.SerialStep{{N: 1}}, []int{1, 1, 1, 1, 1, 1, 1}},
		{[]playbooks.SerialStep{{N: 3}}, []int{3, 3, 1}},
		{[]playbooks.SerialStep{{N: 1}, {N: 50, Percent: true}}, []int{1, 3, 3}},
		{[]playbooks.SerialStep{{N: 10, Percent: true}}, []int{1, 1, 1, 1, 1, 1, 1}},
		{[]playbooks.SerialStep{{N: 1}, {N: 2}, {N: 100, Percent: true}}, []int{1, 2, 4}},
	}
	for _, c := range cases {
		var got []int
		for _, b := range Batches(hosts, c.serial) {
			got = append(got, len(b))
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("serial %v: batches %v, want %v", c.serial, got, c.want)
		}
	}
}

func TestLocalRunIdempotentWithHandlersAndRegister(t *testing.T) {
	dir := t.TempDir()
	inv := newInv("h1", "h2")
	for _, h := range inv.inv.Hosts {
		h.Vars["dir"] = filepath.Join(dir, h.Name)
		h.Vars["db_password"] = "hunter2-" + h.Name
	}
	pb := mustPlaybook(t, `
- name: setup
  hosts: proxies
  vars:
    conf: "{{ .dir }}/app.conf"
  tasks:
    - file: {path: "{{ .dir }}", state: directory}
    - name: config
      copy: {content: "name={{ .inventory_hostname }}\n", dest: "{{ .conf }}"}
      notify: reload
    - name: read back
      command: "cat {{ .conf }}"
      register: out
      changed_when: false
    - name: only h1
      shell: "echo {{ .db_password }}"
      when: inventory_hostname == "h1" and out.stdout == "name=h1"
      register: pw
      changed_when: false
  handlers:
    - name: reload
      shell: "echo reloaded >> {{ .dir }}/handler.log"
`)
	res, err := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: localDial})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode() != 0 {
		t.Fatalf("exit %d: %+v", res.ExitCode(), res.Hosts[0])
	}
	h1, h2 := res.Host("h1"), res.Host("h2")
	if h1.Changed != 3 || h1.OK != 2 || h2.Skipped != 1 || h2.Changed != 3 {
		t.Fatalf("h1 %+v h2 %+v", h1, h2)
	}
	out, _ := res.Registered("h1", "out")
	if out["stdout"] != "name=h1" {
		t.Fatalf("registered %v", out)
	}
	// the secret printed by the task is redacted in the report
	var sawRedacted bool
	for _, tr := range res.Plays[0].Batches[0].Tasks {
		if strings.Contains(tr.Stdout, "hunter2") {
			t.Fatalf("secret in output: %q", tr.Stdout)
		}
		if tr.Task == "only h1" && tr.Host == "h1" && tr.Stdout == "********" {
			sawRedacted = true
		}
	}
	if !sawRedacted {
		t.Fatal("secret task output not redacted")
	}
	// second run: nothing changes, the handler does not run again
	res, err = Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: localDial})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hosts {
		if h.Changed != 0 || h.Failed != 0 {
			t.Fatalf("second run not idempotent: %+v", h)
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "h1", "handler.log"))
	if string(log) != "reloaded\n" {
		t.Fatalf("handler ran %q", log)
	}
}

func TestCheckModeChangesNothing(t *testing.T) {
	dir := t.TempDir()
	inv := newInv("h1")
	pb := mustPlaybook(t, fmt.Sprintf(`
- hosts: all
  tasks:
    - copy: {content: "x", dest: %q}
    - file: {path: %q, state: directory}
    - shell: "touch %s"
`, filepath.Join(dir, "f"), filepath.Join(dir, "d"), filepath.Join(dir, "t")))
	res, err := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: localDial, Check: true})
	if err != nil {
		t.Fatal(err)
	}
	if h := res.Host("h1"); h.Changed != 2 || h.Skipped != 1 {
		t.Fatalf("%+v", h)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Fatalf("check mode created %v", ents)
	}
}

const rolling = `
- name: roll
  hosts: all
  serial: %s
  %s
  tasks:
    - name: step1
      shell: "step1"
    - name: step2
      shell: "step2"
`

func failOn(bad ...string) func(host, cmd string) (transport.ExecResult, error) {
	return func(host, cmd string) (transport.ExecResult, error) {
		if slices.Contains(bad, host) && cmd == "step1" {
			return transport.ExecResult{ExitCode: 1, Stderr: []byte("boom")}, nil
		}
		return transport.ExecResult{}, nil
	}
}

func TestSerialStopsOnFirstFailure(t *testing.T) {
	inv := newInv("a", "b", "c", "d", "e")
	f := &fleet{answer: failOn("c")}
	rec, rec2 := &recorder{}, &recorder{}
	pb := mustPlaybook(t, fmt.Sprintf(rolling, `[1, 2]`, ""))
	res, err := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial, Observer: Observers(rec, rec2), Forks: 1})
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("err = %v, want ErrStopped", err)
	}
	want := []string{"play roll a,b,c,d,e", "batch 1/3 a", "done 1/3 failed=[]", "batch 2/3 b,c", "done 2/3 failed=[c]", "end"}
	if !reflect.DeepEqual(rec.events, want) || !reflect.DeepEqual(rec2.events, want) {
		t.Fatalf("events\n%q\nwant\n%q", rec.events, want)
	}
	if !strings.Contains(res.Stopped, "1 of 2 hosts failed (50%), over max_fail_percentage 0%") {
		t.Fatalf("stopped: %q", res.Stopped)
	}
	if res.Host("d").Status != "not_run" || res.Host("c").Status != "failed" || res.Host("b").Status != "ok" {
		t.Fatalf("statuses %+v %+v %+v", res.Host("b"), res.Host("c"), res.Host("d"))
	}
	if slices.Contains(f.dialed, "d") {
		t.Fatal("dialed a host of a batch that never started")
	}
	if got := f.ran("c"); !reflect.DeepEqual(got, []string{"step1"}) {
		t.Fatalf("failed host went on: %q", got)
	}
	if res.ExitCode() != ExitFailed {
		t.Fatalf("exit %d", res.ExitCode())
	}
}

func TestMaxFailPercentageAllowsSome(t *testing.T) {
	inv := newInv("a", "b", "c", "d")
	f := &fleet{answer: failOn("a")}
	pb := mustPlaybook(t, fmt.Sprintf(rolling, `2`, "max_fail_percentage: 50"))
	res, err := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial})
	if err != nil {
		t.Fatalf("stopped at 50%%: %v", err)
	}
	if len(res.Plays[0].Batches) != 2 || res.Host("d").Status != "ok" || res.Host("a").Status != "failed" {
		t.Fatalf("%+v", res.Hosts)
	}
	if res.ExitCode() != ExitFailed {
		t.Fatal("a failed host must still fail the run")
	}
	// 2 of 2 failing in a batch is over 50%
	f = &fleet{answer: failOn("c", "d")}
	inv = newInv("a", "b", "c", "d", "e", "f")
	res, err = Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial})
	if !errors.Is(err, ErrStopped) || res.Host("e").Status != "not_run" {
		t.Fatalf("err %v hosts %+v", err, res.Hosts)
	}
}

func TestWithoutSerialFailedHostsDropOut(t *testing.T) {
	inv := newInv("a", "b", "c")
	f := &fleet{answer: failOn("b")}
	pb := mustPlaybook(t, `
- hosts: all
  tasks:
    - shell: step1
- hosts: all
  tasks:
    - shell: second-play
`)
	res, err := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial})
	if err != nil {
		t.Fatal(err)
	}
	if res.Host("b").Status != "failed" || len(res.Plays[1].Hosts) != 2 {
		t.Fatalf("hosts %+v play2 %v", res.Hosts, res.Plays[1].Hosts)
	}
	if got := f.ran("b"); !reflect.DeepEqual(got, []string{"step1"}) {
		t.Fatalf("failed host ran %q", got)
	}
	if got := f.ran("c"); !reflect.DeepEqual(got, []string{"step1", "second-play"}) {
		t.Fatalf("healthy host ran %q", got)
	}
	if len(f.dialed) != 3 {
		t.Fatalf("one dial per host for the whole run, got %v", f.dialed)
	}
}

func TestUnreachableVersusFailed(t *testing.T) {
	inv := newInv("down", "broken", "fine")
	f := &fleet{
		answer: failOn("broken"),
		dial: func(h *inventory.Host) error {
			if h.Name == "down" {
				return &transport.UnreachableError{Host: h.Name, Err: errors.New("connection refused")}
			}
			return nil
		},
	}
	pb := mustPlaybook(t, fmt.Sprintf(rolling, "3", "max_fail_percentage: 100"))
	res, err := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial})
	if err != nil {
		t.Fatal(err)
	}
	d, b, ok := res.Host("down"), res.Host("broken"), res.Host("fine")
	if d.Status != "unreachable" || d.Unreachable != 1 || d.Failed != 0 || !strings.Contains(d.Error, "connection refused") {
		t.Fatalf("down %+v", d)
	}
	if b.Status != "failed" || b.Failed != 1 || b.Unreachable != 0 {
		t.Fatalf("broken %+v", b)
	}
	if ok.Status != "ok" || ok.Changed != 2 {
		t.Fatalf("fine %+v", ok)
	}
	if res.ExitCode() != ExitFailed {
		t.Fatalf("exit %d", res.ExitCode())
	}
	br := res.Plays[0].Batches[0]
	if !reflect.DeepEqual(br.Unreachable, []string{"down"}) || !reflect.DeepEqual(br.Failed, []string{"broken"}) {
		t.Fatalf("batch %+v", br)
	}
}

func TestAuthErrorExitCode(t *testing.T) {
	inv := newInv("a", "b")
	f := &fleet{dial: func(h *inventory.Host) error {
		if h.Name == "a" {
			return &transport.AuthError{Host: "a", Err: errors.New("host key mismatch")}
		}
		return nil
	}}
	pb := mustPlaybook(t, "- hosts: all\n  tasks:\n    - shell: x\n")
	res, _ := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial})
	if res.ExitCode() != ExitAuth || !res.Host("a").AuthError {
		t.Fatalf("exit %d %+v", res.ExitCode(), res.Host("a"))
	}
}

func TestHooks(t *testing.T) {
	inv := newInv("a", "b", "c", "d")
	f := &fleet{answer: failOn("c")}
	pb := mustPlaybook(t, fmt.Sprintf(rolling, "1", "max_fail_percentage: 100"))
	var after, done, rolled, skipped []string
	hooks := Hooks{
		SkipHost: func(_ *playbooks.Play, h string) bool {
			if h == "a" {
				skipped = append(skipped, h)
				return true
			}
			return false
		},
		AfterBatch: func(_ context.Context, b *Batch) error {
			after = append(after, strings.Join(b.Hosts, ","))
			if b.Conn(b.Hosts[0]) == nil && b.Hosts[0] != "c" {
				return errors.New("no conn")
			}
			if b.Hosts[0] == "d" {
				return errors.New("proxy d unhealthy")
			}
			return nil
		},
		OnHostDone: func(_ *playbooks.Play, h string) { done = append(done, h) },
		OnHostFailed: func(_ context.Context, hf *HostFailure) {
			rolled = append(rolled, hf.Host+":"+hf.Task.Name)
			if hf.Conn == nil {
				t.Error("rollback hook without a connection")
			}
		},
	}
	res, err := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial, Hooks: hooks, Forks: 1})
	if !errors.Is(err, ErrStopped) || !strings.Contains(res.Stopped, "after-batch check failed: proxy d unhealthy") {
		t.Fatalf("err %v stopped %q", err, res.Stopped)
	}
	if !reflect.DeepEqual(skipped, []string{"a"}) || !reflect.DeepEqual(after, []string{"b", "c", "d"}) ||
		!reflect.DeepEqual(done, []string{"b", "d"}) || !reflect.DeepEqual(rolled, []string{"c:step1"}) {
		t.Fatalf("skipped %v after %v done %v rolled %v", skipped, after, done, rolled)
	}
}

func TestAnyErrorsFatal(t *testing.T) {
	inv := newInv("a", "b")
	f := &fleet{answer: failOn("a")}
	pb := mustPlaybook(t, fmt.Sprintf(rolling, "2", "any_errors_fatal: true\n  max_fail_percentage: 100"))
	res, err := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial, Forks: 1})
	if !errors.Is(err, ErrStopped) || !strings.Contains(res.Stopped, "any_errors_fatal") {
		t.Fatalf("err %v stopped %q", err, res.Stopped)
	}
	if got := f.ran("b"); len(got) != 0 {
		t.Fatalf("b ran %q after a fatal error (forks 1: a runs first)", got)
	}
}

func TestInterruptLetsRunningTaskFinish(t *testing.T) {
	inv := newInv("a", "b")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &fleet{answer: func(host, cmd string) (transport.ExecResult, error) {
		if cmd == "step1" {
			cancel() // Ctrl-C while step1 runs on the first host
		}
		return transport.ExecResult{Stdout: []byte("finished")}, nil
	}}
	pb := mustPlaybook(t, fmt.Sprintf(rolling, "1", ""))
	res, err := Run(ctx, RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial, Forks: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || res.ExitCode() != ExitInterrupted {
		t.Fatalf("interrupted %v exit %d", res.Interrupted, res.ExitCode())
	}
	tasks := res.Plays[0].Batches[0].Tasks
	if len(tasks) != 1 || tasks[0].Status != "changed" || tasks[0].Stdout != "finished" {
		t.Fatalf("running task not finished and recorded: %+v", tasks)
	}
	if len(res.Plays[0].Batches) != 1 || res.Host("b").Status != "not_run" {
		t.Fatalf("work started after the interrupt: %+v", res.Hosts)
	}
}

func TestRetriesUntil(t *testing.T) {
	inv := newInv("a")
	n := 0
	f := &fleet{answer: func(host, cmd string) (transport.ExecResult, error) {
		n++
		return transport.ExecResult{Stdout: []byte(fmt.Sprint(n))}, nil
	}}
	pb := mustPlaybook(t, `
- hosts: all
  tasks:
    - shell: count
      register: c
      until: c.stdout == "3"
      retries: 5
      delay: 0.001
    - shell: never
      register: d
      until: d.stdout == "x"
      retries: 1
      delay: 0.001
`)
	res, _ := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial})
	tasks := res.Plays[0].Batches[0].Tasks
	if tasks[0].Attempts != 3 || tasks[0].Status != "changed" {
		t.Fatalf("task0 %+v", tasks[0])
	}
	if tasks[1].Attempts != 2 || tasks[1].Status != "failed" || !strings.Contains(tasks[1].Msg, "still false after 2 attempts") {
		t.Fatalf("task1 %+v", tasks[1])
	}
}

func TestLimitTagsAndWhenErrors(t *testing.T) {
	inv := newInv("a", "b")
	f := &fleet{}
	pb := mustPlaybook(t, `
- hosts: all
  tasks:
    - shell: tagged
      tags: [config]
    - shell: untagged
    - shell: bad-when
      when: nope == 1
`)
	res, err := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial, Limit: "b", Tags: []string{"config"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hosts) != 1 || !reflect.DeepEqual(f.ran("b"), []string{"tagged"}) {
		t.Fatalf("hosts %+v ran %q", res.Hosts, f.ran("b"))
	}
	res, _ = Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial, SkipTags: []string{"config"}})
	tr := res.Plays[0].Batches[0].Tasks
	last := tr[len(tr)-1]
	if last.Status != "failed" || !strings.Contains(last.Msg, `undefined variable "nope"`) || !strings.Contains(last.Msg, "test.yaml:7") {
		t.Fatalf("when error: %+v", last)
	}
	if _, err := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial, Limit: "zzz"}); err == nil {
		t.Fatal("a limit matching nothing is an error")
	}
}

func TestInterruptJournalsOnlyFinishedHosts(t *testing.T) {
	inv := newInv("a", "b", "c")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &fleet{answer: func(host, cmd string) (transport.ExecResult, error) {
		if host == "b" && cmd == "step1" {
			cancel()
		}
		return transport.ExecResult{}, nil
	}}
	pb := mustPlaybook(t, fmt.Sprintf(rolling, "3", ""))
	var done []string
	res, _ := Run(ctx, RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial, Forks: 1,
		Hooks: Hooks{OnHostDone: func(_ *playbooks.Play, h string) { done = append(done, h) }}})
	// forks 1: a finishes both steps, b is interrupted after step1, c never starts
	if !reflect.DeepEqual(done, []string{"a"}) || res.ExitCode() != ExitInterrupted {
		t.Fatalf("done %v exit %d", done, res.ExitCode())
	}
	if got := f.ran("b"); !reflect.DeepEqual(got, []string{"step1"}) {
		t.Fatalf("b ran %q", got)
	}
	if len(res.Plays) != 1 {
		t.Fatalf("plays %d", len(res.Plays))
	}
}

func TestLoopSetFactAssertTimeout(t *testing.T) {
	inv := newInv("a")
	f := &fleet{answer: func(host, cmd string) (transport.ExecResult, error) {
		if cmd == "echo c" {
			return transport.ExecResult{ExitCode: 2}, nil
		}
		return transport.ExecResult{Stdout: []byte(strings.TrimPrefix(cmd, "echo "))}, nil
	}}
	pb := mustPlaybook(t, `
- hosts: all
  vars:
    names: [x, y]
  tasks:
    - set_fact: {prefix: "p-{{ .inventory_hostname }}", count: 2}
    - name: literal loop
      shell: "echo {{ .prefix }}-{{ .item }}"
      loop: [1, 2, 3]
      when: item != 2
      register: lit
    - name: var loop
      shell: "echo {{ .item }}"
      loop: names
      register: vl
    - assert:
        that: ["lit.results.0.stdout == 'p-a-1'", "lit.results.1.skipped", "vl.results.1.stdout == 'y'", "count == 2"]
    - name: failing item
      shell: "echo {{ .item }}"
      loop: [b, c, d]
      ignore_errors: true
    - fail: "stop here"
      when: count == 3
    - assert: {that: "prefix == 'nope'", fail_msg: "prefix is {{ .prefix }}"}
`)
	res, _ := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial})
	tasks := res.Plays[0].Batches[0].Tasks
	byName := map[string]*TaskResult{}
	for _, tr := range tasks {
		byName[tr.Task] = tr
	}
	if byName["literal loop"].Status != "changed" || byName["var loop"].Status != "changed" {
		t.Fatalf("loops: %+v %+v", byName["literal loop"], byName["var loop"])
	}
	if tr := tasks[3]; tr.Module != "assert" || tr.Status != "ok" {
		t.Fatalf("assert: %+v", tr)
	}
	if tr := byName["failing item"]; tr.Status != "ignored" || !strings.Contains(tr.Msg, "item 1") {
		t.Fatalf("failing item: %+v", tr)
	}
	if tr := byName["fail"]; tr.Status != "skipped" {
		t.Fatalf("fail: %+v", tr)
	}
	last := tasks[len(tasks)-1]
	if last.Status != "failed" || last.Msg != "prefix is p-a" {
		t.Fatalf("last: %+v", last)
	}
	if got := f.ran("a"); !reflect.DeepEqual(got, []string{"echo p-a-1", "echo p-a-3", "echo x", "echo y", "echo b", "echo c", "echo d"}) {
		t.Fatalf("ran %q", got)
	}
}

func TestTaskTimeout(t *testing.T) {
	inv := newInv("a")
	pb := mustPlaybook(t, "- hosts: all\n  tasks:\n    - shell: \"exec sleep 30\"\n      timeout: 0.2\n")
	res, _ := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: localDial})
	tr := res.Plays[0].Batches[0].Tasks[0]
	if tr.Status != "failed" || !strings.Contains(tr.Msg, "timed out after 200ms") {
		t.Fatalf("%+v", tr)
	}
}

func TestPlayVarsReferToEachOther(t *testing.T) {
	inv := newInv("a")
	f := &fleet{}
	pb := mustPlaybook(t, `
- hosts: all
  vars:
    a_path: "{{ .z_base }}/conf"
    z_base: "/opt/{{ .inventory_hostname }}"
    cycle1: "{{ .cycle2 }}"
    cycle2: "x"
  tasks:
    - shell: "echo {{ .a_path }} {{ .cycle1 }}"
`)
	if _, err := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial}); err != nil {
		t.Fatal(err)
	}
	if got := f.ran("a"); !reflect.DeepEqual(got, []string{"echo /opt/a/conf x"}) {
		t.Fatalf("ran %q", got)
	}
	pb = mustPlaybook(t, "- hosts: all\n  vars:\n    x: \"{{ .nope }}\"\n  tasks:\n    - shell: y\n")
	res, _ := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial})
	if h := res.Host("a"); h.Status != "failed" || !strings.Contains(h.Error, "play var x") {
		t.Fatalf("%+v", h)
	}
}

func TestSecretsFromPlayVarsAndFactsAreRedacted(t *testing.T) {
	inv := newInv("a")
	f := &fleet{answer: func(host, cmd string) (transport.ExecResult, error) {
		return transport.ExecResult{Stdout: []byte("pv-secret-1 fact-secret-2")}, nil
	}}
	pb := mustPlaybook(t, `
- hosts: all
  vars:
    admin_password: pv-secret-1
  tasks:
    - set_fact: {api_token: "fact-secret-2"}
    - shell: "echo {{ .admin_password }} {{ .api_token }}"
`)
	res, _ := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial})
	tr := res.Plays[0].Batches[0].Tasks[1]
	if tr.Stdout != "******** ********" {
		t.Fatalf("stdout %q", tr.Stdout)
	}
	if got := f.ran("a"); len(got) != 1 || got[0] != "sh -s" {
		t.Fatalf("secret command line not sent on stdin: %q", got)
	}
}

func TestReadFileOverride(t *testing.T) {
	inv := newInv("a")
	dest := filepath.Join(t.TempDir(), "proxy")
	pb := mustPlaybook(t, fmt.Sprintf("- hosts: all\n  tasks:\n    - copy: {src: embedded/zdm-proxy, dest: %q, mode: \"0755\"}\n", dest))
	read := func(p string) ([]byte, error) {
		if p == "embedded/zdm-proxy" {
			return []byte("#!/bin/sh\n"), nil
		}
		return pb.ReadFile(p)
	}
	res, err := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: localDial, ReadFile: read})
	if err != nil || res.ExitCode() != 0 {
		t.Fatalf("%v %+v", err, res.Hosts[0])
	}
	if b, _ := os.ReadFile(dest); string(b) != "#!/bin/sh\n" {
		t.Fatalf("%q", b)
	}
}

func TestHandlersOncePerBatchAndBecome(t *testing.T) {
	inv := newInv("a", "b")
	inv.inv.Host("b").Become = true
	f := &fleet{}
	pb := mustPlaybook(t, `
- hosts: all
  serial: 1
  become: true
  become_user: zdm
  tasks:
    - shell: one
      notify: restart
    - shell: two
      notify: restart
      become: false
    - shell: three
      notify: [restart, other]
      changed_when: false
  handlers:
    - name: other
      shell: other
    - name: restart
      shell: restart
`)
	if _, err := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial}); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"a", "b"} {
		if got := f.ran(h); !reflect.DeepEqual(got, []string{"one", "two", "three", "restart"}) {
			t.Fatalf("%s ran %q", h, got)
		}
	}
	c := f.conns["a"]
	if !reflect.DeepEqual(c.become, []string{"one as zdm", "three as zdm", "restart as zdm"}) {
		t.Fatalf("become %q", c.become)
	}
}

func TestTopologyVars(t *testing.T) {
	inv := newInv("p1", "p2", "p3")
	inv.inv.Host("p2").Address = "10.0.0.2"
	f := &fleet{}
	pb := mustPlaybook(t, `
- hosts: all
  tasks:
    - shell: "echo {{ join \",\" (index .group_addresses \"proxies\") }} {{ indexOf (index .groups \"proxies\") .inventory_hostname }}"
`)
	if _, err := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial, Limit: "p3"}); err != nil {
		t.Fatal(err)
	}
	if got := f.ran("p3"); !reflect.DeepEqual(got, []string{"echo 127.0.0.1,10.0.0.2,127.0.0.1 2"}) {
		t.Fatalf("ran %q", got)
	}
}

// Every host's copy of a controller file comes from one read per run.
func TestReadOnceSharesFiles(t *testing.T) {
	reads := 0
	read := readOnce(func(p string) ([]byte, error) {
		reads++
		if p == "missing" {
			return nil, os.ErrNotExist
		}
		return []byte("content of " + p), nil
	})
	a1, _ := read("a")
	a2, _ := read("a")
	if string(a1) != "content of a" || &a1[0] != &a2[0] {
		t.Fatalf("a read twice: %q %q", a1, a2)
	}
	if _, err := read("missing"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err %v", err)
	}
	read("missing")
	if reads != 2 {
		t.Fatalf("%d reads, want 2", reads)
	}
}
