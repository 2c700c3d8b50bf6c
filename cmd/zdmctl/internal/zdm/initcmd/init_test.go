package initcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

func TestPromptsWriteAValidInventory(t *testing.T) {
	f, _, errOut := cmdtest.Factory(nil)
	out := filepath.Join(t.TempDir(), "zdm.yaml")
	f.Settings.Inventory = out
	// Required answers left empty are asked again; optional ones are not.
	key := filepath.Join(t.TempDir(), "id")
	os.WriteFile(key, []byte("k"), 0o600)
	f.IO.In = strings.NewReader("\n10.0.0.11, 10.0.0.12\nubuntu\n" + key + "\n10.0.1.1\ncassandra\nenv:ORIGIN_PW\n10.0.2.1\n\n\n")
	if err := Run(&Options{F: f, Offline: true}); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	inv, err := inventory.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ORIGIN_PW", "x")
	fl, err := zdm.Plan(inv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fl.Names(); len(got) != 2 || inv.Host(got[1]).Address != "10.0.0.12" || inv.Host(got[0]).User != "ubuntu" {
		t.Fatalf("hosts %v", got)
	}
	c := fl.Configs[fl.Names()[0]]
	if c.Values["origin_contact_points"] != "10.0.1.1" || c.Values["origin_password"] != "x" || c.Values["target_username"] != "" {
		t.Fatalf("values %v", c.Values)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	if !strings.Contains(errOut.String(), "Proxy host addresses") {
		t.Errorf("no prompt shown: %s", errOut)
	}
	if !strings.Contains(errOut.String(), "client settings: zdmctl -i "+out+" client-config\n") {
		t.Errorf("no client-config hint: %s", errOut)
	}
}

func TestFlagsAndNoOverwrite(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	out := filepath.Join(t.TempDir(), "zdm.yaml")
	f.Settings.Inventory = out
	key := filepath.Join(t.TempDir(), "k")
	os.WriteFile(key, []byte("k"), 0o600)
	a := Answers{Proxies: "10.0.0.11", SSHUser: "u", SSHKey: key, OriginContacts: "10.0.1.1", TargetContacts: "10.0.2.1"}
	if err := Run(&Options{F: f, Answers: a, NoPrompt: true, Offline: true}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(out)
	a.Proxies = "10.9.9.9"
	err := Run(&Options{F: f, Answers: a, NoPrompt: true, Offline: true})
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("overwrite without --force: %v", err)
	}
	if after, _ := os.ReadFile(out); string(after) != string(before) {
		t.Fatal("file changed")
	}
	if err := Run(&Options{F: f, Answers: a, NoPrompt: true, Force: true, Offline: true}); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(out); !strings.Contains(string(after), "10.9.9.9") {
		t.Fatal("--force did not overwrite")
	}
}

func TestBadAnswersWriteNothing(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	out := filepath.Join(t.TempDir(), "zdm.yaml")
	f.Settings.Inventory = out
	key := filepath.Join(t.TempDir(), "k")
	os.WriteFile(key, []byte("k"), 0o600)
	err := Run(&Options{F: f, NoPrompt: true, Offline: true, Answers: Answers{Proxies: "10.0.0.1", SSHUser: "u", SSHKey: key, OriginContacts: "10.0.1.1"}})
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "Target contact points") {
		t.Fatalf("missing answer: %v", err)
	}
	err = Run(&Options{F: f, NoPrompt: true, Offline: true, Answers: Answers{Proxies: "10.0.0.1", SSHUser: "u", SSHKey: key, OriginContacts: "10.0.1.1/9042", TargetContacts: "x"}})
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "origin_contact_points") {
		t.Fatalf("bad contact point: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("a file was written")
	}
	f.IO.In = strings.NewReader("10.0.0.1\n")
	if err := Run(&Options{F: f, Offline: true}); cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "end of input") {
		t.Fatalf("EOF: %v", err)
	}
}

// Each answer is checked as it is typed: a bad one is asked again; a
// password itself is refused (only env:/file: references); the proxy's own
// validation refuses a contact point with a port.
func TestAnswersCheckedAsTyped(t *testing.T) {
	f, _, errOut := cmdtest.Factory(nil)
	dir := t.TempDir()
	out := filepath.Join(dir, "zdm.yaml")
	f.Settings.Inventory = out
	key := filepath.Join(dir, "id")
	os.WriteFile(key, []byte("k"), 0o600)
	f.IO.In = strings.NewReader(strings.Join([]string{
		"10.0.0.300", "10.0.0.11,10.0.0.11", "10.0.0.11,10.0.0.12", // bad IP, twice the same, ok
		"ubuntu",
		dir + "/missing", key,
		"10.0.1.1:9042", "10.0.1.1",
		"cassandra",
		"hunter2", "env:ORIGIN_PW",
		"10.0.2.1", "", "file:target-pw",
		"19042", "",
		"dc1", "dc2",
		"99999", "9043",
		"",
		"10.0.0.20",
		"", // metrics address: default 0.0.0.0 with a monitoring host
		"jump@10.0.9.9",
		"",
	}, "\n") + "\n")
	if err := Run(&Options{F: f, Offline: true}); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	for _, want := range []string{"not a valid IPv4 address", "given twice", "no such file", "no ports", "not the password itself", "an integer from 0 to 65535"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("no %q in:\n%s", want, errOut)
		}
	}
	text, _ := os.ReadFile(out)
	for _, want := range []string{`origin_password: "env:ORIGIN_PW"`, `target_password: "file:target-pw"`, `origin_local_datacenter: "dc1"`,
		"proxy_listen_port: 9043", "origin_port: 19042", "target_port: 9042", "metrics_port: 14001", `metrics_address: "0.0.0.0"`, `zdm-monitoring: {address: "10.0.0.20"}`, `ssh_config: "zdm.ssh_config"`} {
		if !strings.Contains(string(text), want) {
			t.Errorf("no %q in:\n%s", want, text)
		}
	}
	if strings.Contains(string(text), "hunter2") {
		t.Fatal("a password in the inventory")
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, "zdm.ssh_config"))
	if !strings.Contains(string(cfg), "Host 10.0.0.11 10.0.0.12 10.0.0.20\n  ProxyJump jump@10.0.9.9") {
		t.Errorf("ssh config:\n%s", cfg)
	}
	inv, err := inventory.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if inv.SSHConfig != filepath.Join(dir, "zdm.ssh_config") {
		t.Errorf("ssh_config %q", inv.SSHConfig)
	}
	// Flags are checked the same way.
	err = Run(&Options{F: f, NoPrompt: true, Force: true, Offline: true, Answers: Answers{Proxies: "10.0.0.1", SSHUser: "u", SSHKey: key,
		OriginContacts: "10.0.1.1", TargetContacts: "10.0.2.1", OriginPassword: "hunter2"}})
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "not the password itself") {
		t.Fatalf("literal password by flag: %v", err)
	}
}

// Without --offline, init ends by trying SSH to every host.
func TestPreflightUnlessOffline(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	dir := t.TempDir()
	out := filepath.Join(dir, "zdm.yaml")
	f.Settings.Inventory = out
	f.Settings.ConnectTimeout = 2 * time.Second
	key := filepath.Join(dir, "id")
	os.WriteFile(key, []byte("k"), 0o600)
	a := Answers{Proxies: "127.0.0.1", SSHUser: "u", SSHKey: key, OriginContacts: "10.0.1.1", TargetContacts: "10.0.2.1", ProxyPort: "9042"}
	err := Run(&Options{F: f, NoPrompt: true, Answers: a, Offline: false})
	if err == nil || !strings.Contains(err.Error(), "reachability preflight failed") || !strings.Contains(err.Error(), "zdm-proxy-1") {
		t.Fatalf("err %v", err)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal("the inventory was not written before the preflight")
	}
}
