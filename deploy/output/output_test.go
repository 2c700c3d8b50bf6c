package output

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/playbooks"
)

type inv struct{ hosts []*inventory.Host }

func (i inv) Select(string) ([]*inventory.Host, error) { return i.hosts, nil }
func (i inv) EffectiveVars(string, map[string]any) (map[string]any, error) {
	return map[string]any{}, nil
}
func (i inv) IsSecretKey(string) bool { return false }

func TestProgressRecapAndJSON(t *testing.T) {
	dir := t.TempDir()
	pb, err := playbooks.Parse("t.yaml", []byte(`
- name: demo
  hosts: all
  serial: 1
  max_fail_percentage: 100
  tasks:
    - name: write
      copy: {content: "new\n", dest: "`+dir+`/f"}
    - name: fail on b
      shell: "test {{ .inventory_hostname }} != b"
`), os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	hosts := []*inventory.Host{{Name: "a", Connection: "local"}, {Name: "b", Connection: "local"}, {Name: "down"}}
	dial := func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
		if h.Name == "down" {
			return nil, &transport.UnreachableError{Host: h.Name, Err: errors.New("no route")}
		}
		return transport.NewLocal(h.Name), nil
	}
	var errBuf, diffBuf, out bytes.Buffer
	prog := &Progress{Err: &errBuf, Diff: &diffBuf}
	res, err := runner.Run(context.Background(), runner.RunOptions{Inventory: inv{hosts}, Playbook: pb, Dial: dial, Observer: prog, Diff: true, Forks: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PLAY demo [3 hosts, serial 1]", "BATCH 2/3: b", "  a     changed     write", "  b     FAILED      fail on b", "  down  UNREACHABLE connect", "no route", "BATCH 3/3 done: 0 ok, 1 failed"} {
		if !strings.Contains(errBuf.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, errBuf.String())
		}
	}
	if !strings.Contains(diffBuf.String(), "+new") {
		t.Errorf("diff not printed: %q", diffBuf.String())
	}
	Recap(&out, res)
	for _, want := range []string{"HOST", "UNREACHABLE", "unreachable", "failed\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("recap lacks %q:\n%s", want, out.String())
		}
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, Document{OK: false, ExitCode: res.ExitCode(), Result: res}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, buf.String())
	}
	hostsJSON := doc["result"].(map[string]any)["hosts"].([]any)
	if len(hostsJSON) != 3 || hostsJSON[2].(map[string]any)["status"] != "unreachable" || doc["exit_code"].(float64) != 1 {
		t.Fatalf("json %s", buf.String())
	}
}
