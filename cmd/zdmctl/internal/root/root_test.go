package root

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
)

func TestMainUsageErrorsAreJSONWhenAsked(t *testing.T) {
	for _, args := range [][]string{
		{"playbook", "run", "--bogus", "-o", "json"},
		{"playbook", "run", "--output=json"},
		{"--output", "json", "nosuchcommand"},
		{"--output", "json", "playbook", "nope"},
		{"-o", "json", "inventory", "nope"},
		{"--output", "json", "--forks", "0", "version"},
		{"--output", "json", "--config", "/nonexistent/config.yaml", "version"},
	} {
		t.Setenv("XDG_CONFIG_HOME", t.TempDir())
		f, out, _ := cmdtest.Factory(cmdtest.NewInventory("a"))
		f.Settings = &cmdutil.Settings{}
		code := Main(f, args)
		if code != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		var doc map[string]any
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Errorf("%v: stdout not one JSON document: %v\n%s", args, err, out)
			continue
		}
		if doc["ok"] != false || doc["exit_code"] != float64(2) || doc["error"] == "" {
			t.Errorf("%v: doc %v", args, doc)
		}
	}
}

func TestMainTextErrorGoesToStderr(t *testing.T) {
	f, out, errOut := cmdtest.Factory(cmdtest.NewInventory("a"))
	f.Settings = &cmdutil.Settings{}
	if code := Main(f, []string{"playbook", "run"}); code != 2 {
		t.Fatalf("exit %d", code)
	}
	if out.Len() != 0 || !strings.Contains(errOut.String(), "accepts 1 arg") {
		t.Fatalf("stdout %q stderr %q", out, errOut)
	}
}

func TestMainRunsAPlaybook(t *testing.T) {
	f, out, _ := cmdtest.Factory(cmdtest.NewInventory("a", "b"))
	f.Settings = &cmdutil.Settings{}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	code := Main(f, []string{"playbook", "run", "ping", "-o", "json", "--forks", "2"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var doc struct {
		OK     bool `json:"ok"`
		Result struct {
			Plays []struct {
				Batches []struct {
					Tasks []struct {
						Task string `json:"task"`
						Msg  string `json:"msg"`
					} `json:"tasks"`
				} `json:"batches"`
			} `json:"plays"`
		} `json:"result"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var report string
	for _, tk := range doc.Result.Plays[0].Batches[0].Tasks {
		if tk.Task == "report" {
			report = tk.Msg
		}
	}
	if !doc.OK || !strings.Contains(report, "kernel=") || !strings.Contains(report, "uptime_s=") {
		t.Fatalf("ping report %q", report)
	}
}

// TestSettingsPrecedence: flag > env > config file > default.
func TestSettingsPrecedence(t *testing.T) {
	cfgDir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfgDir)
	os.MkdirAll(filepath.Join(cfgDir, "zdmctl"), 0o755)
	os.WriteFile(filepath.Join(cfgDir, "zdmctl", "config.yaml"), []byte("forks: 3\ninventory: from-config.yaml\nlimit: cfg\nplaybook-dir: /cfg\n"), 0o644)
	t.Setenv("ZDMCTL_FORKS", "5")
	t.Setenv("ZDMCTL_INVENTORY", "from-env.yaml")
	resolve := func(args ...string) *cmdutil.Settings {
		s := &cmdutil.Settings{}
		cmd := &cobra.Command{Use: "x", RunE: func(cmd *cobra.Command, _ []string) error { return cmdutil.Resolve(cmd, s) }}
		cmdutil.AddGlobalFlags(cmd)
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := resolve("--forks", "7")
	if s.Forks != 7 || s.Inventory != "from-env.yaml" || s.Limit != "cfg" || s.PlaybookDir != "/cfg" || s.Output != "text" {
		t.Fatalf("%+v", s)
	}
	s = resolve()
	if s.Forks != 5 {
		t.Fatalf("env did not beat config: %+v", s)
	}
	os.Unsetenv("ZDMCTL_FORKS")
	s = resolve("-i", "flag.yaml", "--set", "a=1", "--set", "b=x,y")
	if s.Forks != 3 || s.Inventory != "flag.yaml" || len(s.Set) != 2 || s.Set[1] != "b=x,y" {
		t.Fatalf("%+v", s)
	}
}

// TestDialOptionsFromFlagsAndEnv: --known-hosts, --ssh-config and
// --connect-timeout (or ZDMCTL_KNOWN_HOSTS, ZDMCTL_SSH_CONFIG,
// ZDMCTL_CONNECT_TIMEOUT) reach the transport's DialOptions.
func TestDialOptionsFromFlagsAndEnv(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dialOpts := func(args ...string) transport.DialOptions {
		t.Helper()
		f, out, errOut := cmdtest.Factory(cmdtest.NewInventory("a"))
		f.Settings = &cmdutil.Settings{}
		var got *transport.DialOptions
		f.Dial = func(o transport.DialOptions) runner.DialFunc {
			got = &o
			return runner.DialWith(transport.DialOptions{})
		}
		if code := Main(f, append([]string{"playbook", "run", "ping"}, args...)); code != 0 {
			t.Fatalf("%v: exit %d: %s %s", args, code, out, errOut)
		}
		if got == nil {
			t.Fatalf("%v: Dial never called", args)
		}
		return *got
	}
	o := dialOpts()
	if o.KnownHostsFile != "" || o.SSHConfigFile != "" || o.Timeout != 10*time.Second {
		t.Fatalf("defaults: %+v", o)
	}
	o = dialOpts("--known-hosts", "/k/known_hosts", "--ssh-config", "/k/ssh_config", "--connect-timeout", "1500ms")
	if o.KnownHostsFile != "/k/known_hosts" || o.SSHConfigFile != "/k/ssh_config" || o.Timeout != 1500*time.Millisecond {
		t.Fatalf("flags: %+v", o)
	}
	t.Setenv("ZDMCTL_KNOWN_HOSTS", "/e/known_hosts")
	t.Setenv("ZDMCTL_SSH_CONFIG", "none")
	t.Setenv("ZDMCTL_CONNECT_TIMEOUT", "3s")
	o = dialOpts()
	if o.KnownHostsFile != "/e/known_hosts" || o.SSHConfigFile != "none" || o.Timeout != 3*time.Second {
		t.Fatalf("env: %+v", o)
	}
	f, out, _ := cmdtest.Factory(cmdtest.NewInventory("a"))
	f.Settings = &cmdutil.Settings{}
	if code := Main(f, []string{"playbook", "run", "ping", "--connect-timeout", "0s"}); code != cmdutil.ExitUsage {
		t.Fatalf("--connect-timeout 0s: exit %d: %s", code, out)
	}
}
