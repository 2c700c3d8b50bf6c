package root

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
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
