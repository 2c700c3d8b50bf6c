package run

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
)

// No secret anywhere: every module that takes a var, in every output mode
// (text, -o json, --diff, -v -v with debug logs), with a secret and values
// derived from it (upper-cased, edited, lower-cased by a template); all
// output and logs are searched for them, and a ps sampler watches argv
// while the run goes. Both a password var and the fleet's
// peer_notice_token (a secret by its name, rendered into the proxy config).
func TestNoSecretInAnyOutput(t *testing.T) {
	for _, name := range []string{"db_password", "peer_notice_token"} {
		t.Run(name, func(t *testing.T) { noSecretInAnyOutput(t, name) })
	}
}

func noSecretInAnyOutput(t *testing.T, name string) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	const secret = "S3cr3tValue"
	leaks := []string{secret, "S3CR3TVALUE", "SecretValue", "s3cr3tvalue", "3cr3t"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	dir := t.TempDir()
	tpl := filepath.Join(dir, "cfg.tmpl")
	os.WriteFile(tpl, []byte(strings.ReplaceAll("key: {{ .db_password | lower }}\n", "db_password", name)), 0o600)
	pb := writePlaybook(t, strings.ReplaceAll(`
- hosts: proxies
  vars:
    shout: "{{ .db_password | upper }}"
  tasks:
    - name: a directory named after the secret
      file: {path: "`+dir+`/{{ .db_password }}", state: directory, mode: "0700"}
    - name: content derived from it
      copy: {content: "{{ .shout }}\n", dest: "`+dir+`/upper", mode: "0600"}
    - name: template
      template: {src: "`+tpl+`", dest: "`+dir+`/cfg", mode: "0600"}
    - name: say it edited
      debug: {msg: "{{ .db_password | replace \"3\" \"e\" }}"}
    - name: echo it
      command: "echo {{ .shout }} {{ slice .db_password 1 6 }}"
    - name: wait on a URL holding it
      wait_for: {url: "`+srv.URL+`/{{ .db_password }}", status: 200, timeout: 10s, healthy_for: 1500ms}
`, "db_password", name))
	// ps sampler: argv of every process, as often as it can.
	var psOut bytes.Buffer
	var mu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			out, _ := exec.Command("ps", "-eo", "args").Output()
			mu.Lock()
			psOut.Write(out)
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(prev)

	modes := []struct {
		name string
		set  func(f *cmdutil.Factory)
	}{
		{"text", func(*cmdutil.Factory) {}},
		{"json", func(f *cmdutil.Factory) { f.Settings.Output = "json" }},
		{"diff", func(f *cmdutil.Factory) { f.Settings.Diff = true }},
		{"json diff", func(f *cmdutil.Factory) { f.Settings.Output = "json"; f.Settings.Diff = true }},
		{"-v -v", func(f *cmdutil.Factory) { f.Settings.Verbose = 2; f.Settings.Diff = true }},
	}
	inv := cmdtest.NewInventory("a")
	for _, m := range modes {
		os.RemoveAll(filepath.Join(dir, secret)) // every mode sees a change
		os.Remove(filepath.Join(dir, "upper"))
		os.Remove(filepath.Join(dir, "cfg"))
		f, out, errOut := cmdtest.Factory(inv)
		f.Settings.Set = []string{name + "=" + secret}
		m.set(f)
		err := Run(&Options{F: f, Playbook: pb})
		if err != nil {
			t.Fatalf("%s: %v\n%s\n%s", m.name, err, out, errOut)
		}
		all := out.String() + errOut.String()
		for _, l := range leaks {
			if strings.Contains(all, l) {
				t.Errorf("%s: %q in the output:\n%s", m.name, l, all)
			}
		}
		if !strings.Contains(all, "********") {
			t.Errorf("%s: nothing redacted?\n%s", m.name, all)
		}
	}
	close(stop)
	wg.Wait()
	for _, l := range leaks {
		if strings.Contains(logs.String(), l) {
			t.Errorf("%q in the logs:\n%s", l, logs.String())
		}
		if strings.Contains(psOut.String(), l) {
			for _, line := range strings.Split(psOut.String(), "\n") {
				if strings.Contains(line, l) {
					t.Errorf("%q in a process's argv: %s", l, line)
					break
				}
			}
		}
	}
}
