package playbooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

const good = `# Deploy the thing.
# Second line.
- name: deploy
  hosts: [proxies, "!bad"]
  serial: [1, "50%"]
  max_fail_percentage: 10
  become: true
  vars:
    port: 9042
    mode: 0640
  tasks:
    - name: config
      template:
        src: conf.tmpl
        dest: /etc/app.conf
        mode: 0640
      notify: restart
      tags: [config]
    - name: check
      shell: "echo {{ .port }}"
      register: out
      when:
        - port == 9042
        - out is undefined
      changed_when: false
      retries: 2
      delay: 1
      until: out.rc == 0
  handlers:
    - name: restart
      systemd: {name: app, state: restarted}
`

func files() fstest.MapFS {
	return fstest.MapFS{"conf.tmpl": {Data: []byte("port={{ .port }}\n")}}
}

func TestParseGood(t *testing.T) {
	pb, err := Parse("pb.yaml", []byte(good), files())
	if err != nil {
		t.Fatal(err)
	}
	if pb.Description != "Deploy the thing. Second line." {
		t.Errorf("description %q", pb.Description)
	}
	pl := pb.Plays[0]
	if pl.Hosts != "proxies,!bad" || len(pl.Serial) != 2 || pl.Serial[1] != (SerialStep{50, true}) || pl.MaxFailPercentage != 10 {
		t.Errorf("play %+v", pl)
	}
	if pl.Vars["mode"] != "0640" || pl.Vars["port"] != 9042 {
		t.Errorf("vars %#v", pl.Vars)
	}
	t0, t1 := pl.Tasks[0], pl.Tasks[1]
	if t0.Module != "template" || t0.Args["mode"] != "0640" || t0.Notify[0] != "restart" || t0.Line != 12 {
		t.Errorf("task0 %+v", t0)
	}
	if len(t1.When) != 2 || t1.Register != "out" || t1.ChangedWhen == nil || t1.Retries != 2 || t1.Delay != time.Second {
		t.Errorf("task1 %+v", t1)
	}
	if len(pl.Handlers) != 1 || pl.Handlers[0].Module != "systemd" {
		t.Errorf("handlers %+v", pl.Handlers)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"unknown play key", "- hosts: all\n  tasks: []\n  sereal: 1\n", "pb.yaml:3: unknown play key \"sereal\""},
		{"unknown task key", "- hosts: all\n  tasks:\n    - name: x\n      command: \"true\"\n      whenn: a\n", "pb.yaml:5: unknown task key or module \"whenn\""},
		{"no module", "- hosts: all\n  tasks:\n    - name: x\n      register: r\n", "pb.yaml:3: task \"x\" has no module"},
		{"two modules", "- hosts: all\n  tasks:\n    - shell: a\n      command: b\n", "pb.yaml:4: task has two modules"},
		{"unknown arg", "- hosts: all\n  tasks:\n    - name: c\n      copy:\n        content: x\n        dest: /x\n        mdoe: 0644\n", "pb.yaml:7: task \"c\": module copy: unknown argument mdoe"},
		{"missing arg", "- hosts: all\n  tasks:\n    - copy:\n        content: x\n", "pb.yaml:4: task \"copy\": module copy: missing required argument dest"},
		{"bad when", "- hosts: all\n  tasks:\n    - command: \"true\"\n      when: a ==\n", "pb.yaml:4: task \"command\": when: expression \"a ==\""},
		{"when with braces", "- hosts: all\n  tasks:\n    - command: \"true\"\n      when: \"{{ a }}\"\n", "write expressions without {{ }}"},
		{"bad template arg", "- hosts: all\n  tasks:\n    - shell: \"echo {{ .a \"\n", "pb.yaml:3: task \"shell\""},
		{"bad template file", "- hosts: all\n  tasks:\n    - template: {src: bad.tmpl, dest: /x}\n", "pb.yaml:3: task \"template\": template bad.tmpl"},
		{"missing template file", "- hosts: all\n  tasks:\n    - template: {src: none.tmpl, dest: /x}\n", "template src"},
		{"bad serial", "- hosts: all\n  serial: 0\n  tasks: []\n", "pb.yaml:2: play key serial"},
		{"bad serial pct", "- hosts: all\n  serial: [1, 150%]\n  tasks: []\n", "pb.yaml:2: play key serial"},
		{"no hosts", "- name: p\n  tasks: []\n", "pb.yaml:1: play \"p\" has no hosts"},
		{"notify unknown", "- hosts: all\n  tasks:\n    - command: \"true\"\n      notify: nope\n", "pb.yaml:3: task \"command\" notifies \"nope\""},
		{"bad choice", "- hosts: all\n  tasks:\n    - file: {path: /x, state: gone}\n", "\"gone\" is not one of"},
		{"retries without until", "- hosts: all\n  tasks:\n    - command: \"true\"\n      retries: 3\n", "retries needs until"},
		{"bad register", "- hosts: all\n  tasks:\n    - command: \"true\"\n      register: a.b\n", "not a valid variable name"},
		{"yaml syntax", "- hosts: all\n  tasks: [\n", "pb.yaml: "},
		{"not a list", "hosts: all\n", "pb.yaml:1: a playbook is a list of plays"},
		{"bad var template", "- hosts: all\n  vars: {a: \"{{ .b \"}\n  tasks: []\n", "pb.yaml:2: play key vars"},
	}
	fs := files()
	fs["bad.tmpl"] = &fstest.MapFile{Data: []byte("{{ if }}")}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("pb.yaml", []byte(c.src), fs)
			if err == nil {
				t.Fatal("parsed without error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestBuiltinsParse(t *testing.T) {
	list, err := List("")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		t.Fatal("no built-in playbooks")
	}
	for _, e := range list {
		if _, err := Builtin(e.Name); err != nil {
			t.Errorf("built-in %s: %v", e.Name, err)
		}
		if e.Description == "" {
			t.Errorf("built-in %s has no description", e.Name)
		}
	}
}

func TestOverrideDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ping.yaml"), []byte("# mine\n- hosts: all\n  tasks:\n    - copy: {src: f.txt, dest: /tmp/x}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "f.txt"), []byte("local file\n"), 0o644)
	pb, err := Find("ping", dir)
	if err != nil {
		t.Fatal(err)
	}
	if pb.Description != "mine" {
		t.Fatalf("override not used: %q", pb.Description)
	}
	b, err := pb.ReadFile("f.txt")
	if err != nil || string(b) != "local file\n" {
		t.Fatalf("relative file: %q %v", b, err)
	}
	list, _ := List(dir)
	if list[0].Name != "ping" || list[0].Source != filepath.Join(dir, "ping.yaml") {
		t.Fatalf("list %+v", list)
	}
	pb, err = Find("ping", "")
	if err != nil || pb.Path != "builtin:ping.yaml" {
		t.Fatalf("builtin: %v %v", pb, err)
	}
	if _, err := Find("nope", dir); err == nil {
		t.Fatal("unknown playbook found")
	}
	pb, err = Find(filepath.Join(dir, "ping.yaml"), "")
	if err != nil || pb.Description != "mine" {
		t.Fatalf("by path: %v", err)
	}
}

func TestDiskPlaybookReadsParentDir(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "pb"), 0o755)
	os.MkdirAll(filepath.Join(root, "shared"), 0o755)
	os.WriteFile(filepath.Join(root, "shared", "x.tmpl"), []byte("{{ .a }}"), 0o644)
	os.WriteFile(filepath.Join(root, "pb", "p.yaml"), []byte("- hosts: all\n  tasks:\n    - template: {src: ../shared/x.tmpl, dest: /x}\n"), 0o644)
	pb, err := LoadFile(filepath.Join(root, "pb", "p.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := pb.ReadFile("../shared/x.tmpl"); err != nil || string(b) != "{{ .a }}" {
		t.Fatalf("%q %v", b, err)
	}
}
