package run

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
)

func writePlaybook(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pb.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type doc struct {
	OK       bool   `json:"ok"`
	ExitCode int    `json:"exit_code"`
	Error    string `json:"error"`
	Result   *struct {
		Hosts []struct {
			Host    string `json:"host"`
			Status  string `json:"status"`
			Changed int    `json:"changed"`
		} `json:"hosts"`
		Stopped     string `json:"stopped"`
		Interrupted bool   `json:"interrupted"`
	} `json:"result"`
}

func decode(t *testing.T, b []byte) doc {
	t.Helper()
	var d doc
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, b)
	}
	if dec.More() {
		t.Fatalf("more than one JSON document:\n%s", b)
	}
	return d
}

func TestRunTextAndJSON(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, `
- hosts: proxies
  tasks:
    - copy: {content: "{{ .greeting }}\n", dest: "`+dir+`/{{ .inventory_hostname }}"}
`)
	inv := cmdtest.NewInventory("a", "b")
	f, out, errOut := cmdtest.Factory(inv)
	f.Settings.Set = []string{"greeting=hi"}
	f.Settings.Diff = true
	if err := Run(&Options{F: f, Playbook: pb}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a")); string(got) != "hi\n" {
		t.Fatalf("file %q", got)
	}
	if !strings.Contains(errOut.String(), "changed") || !strings.Contains(out.String(), "+hi") || !strings.Contains(out.String(), "HOST") {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	f, out, _ = cmdtest.Factory(inv)
	f.Settings.Output = "json"
	f.Settings.Set = []string{"greeting=hi"}
	if err := Run(&Options{F: f, Playbook: pb}); err != nil {
		t.Fatal(err)
	}
	d := decode(t, out.Bytes())
	if !d.OK || d.ExitCode != 0 || len(d.Result.Hosts) != 2 || d.Result.Hosts[0].Changed != 0 {
		t.Fatalf("doc %+v", d)
	}
}

func TestExitCodes(t *testing.T) {
	inv := cmdtest.NewInventory("a", "b")
	failing := writePlaybook(t, "- hosts: all\n  serial: 1\n  tasks:\n    - shell: \"exit 1\"\n")
	badPlaybook := writePlaybook(t, "- hosts: all\n  tasks:\n    - shell: x\n      bogus: 1\n")
	ok := writePlaybook(t, "- hosts: all\n  tasks:\n    - shell: \"true\"\n")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	cases := []struct {
		name     string
		playbook string
		inv      cmdutil.Inventory
		tweak    func(f *cmdutil.Factory)
		code     int
		errHas   string
	}{
		{"ok", ok, inv, nil, 0, ""},
		{"task failed, rollout stopped", failing, inv, nil, 1, "batch 1/2: 1 of 1 hosts failed"},
		{"bad playbook", badPlaybook, inv, nil, 2, "pb.yaml:4: unknown task key or module \"bogus\""},
		{"missing playbook", "nope", inv, nil, 2, "nope"},
		{"bad inventory", ok, nil, nil, 2, "inv.yaml:3"},
		{"bad --set", ok, inv, func(f *cmdutil.Factory) { f.Settings.Set = []string{"novalue"} }, 2, "--set"},
		{"limit matches nothing", ok, inv, func(f *cmdutil.Factory) { f.Settings.Limit = "zzz" }, 2, "zzz"},
		{"auth failure", ok, inv, func(f *cmdutil.Factory) {
			f.Dial = func(transport.DialOptions) runner.DialFunc {
				return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
					return nil, &transport.AuthError{Host: h.Name, Err: errors.New("unable to authenticate")}
				}
			}
		}, 4, ""},
		{"interrupted", ok, inv, func(f *cmdutil.Factory) {
			f.Contexts = func() (context.Context, context.Context, func()) { return cancelled, context.Background(), func() {} }
		}, 130, ""},
	}
	for _, c := range cases {
		for _, mode := range []string{"text", "json"} {
			t.Run(c.name+"/"+mode, func(t *testing.T) {
				f, out, _ := cmdtest.Factory(c.inv)
				f.Settings.Output = mode
				if c.tweak != nil {
					c.tweak(f)
				}
				err := Run(&Options{F: f, Playbook: c.playbook})
				if got := cmdutil.ExitCode(err); got != c.code {
					t.Fatalf("exit %d (%v), want %d", got, err, c.code)
				}
				code := cmdutil.ReportError(f.IO, mode == "json", err)
				if code != c.code {
					t.Fatalf("reported exit %d", code)
				}
				if mode == "json" {
					d := decode(t, out.Bytes())
					if d.ExitCode != c.code || d.OK != (c.code == 0) || !strings.Contains(d.Error, c.errHas) {
						t.Fatalf("doc %+v, want code %d and error containing %q", d, c.code, c.errHas)
					}
				}
			})
		}
	}
}
