package cmdutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

// Settings are the global options, resolved flag > env ZDMCTL_* > config
// file (~/.config/zdmctl/config.yaml) > default.
type Settings struct {
	ConfigFile        string
	Inventory         string
	Limit             string
	Check             bool
	Diff              bool
	Forks             int
	Verbose           int
	Set               []string
	Output            string // text or json
	AcceptNewHostKeys bool
	KnownHosts        string
	SSHConfig         string
	ConnectTimeout    time.Duration
	PlaybookDir       string
}

// JSON reports whether output is JSON.
func (s *Settings) JSON() bool { return s.Output == "json" }

// AddGlobalFlags declares the global flags on root.
func AddGlobalFlags(root *cobra.Command) {
	fl := root.PersistentFlags()
	fl.String("config", "", "config file (default ~/.config/zdmctl/config.yaml)")
	fl.StringP("inventory", "i", "inventory.yaml", "inventory file")
	fl.StringP("limit", "l", "", "further limit hosts to this pattern (group, host, glob, !exclusion, comma list)")
	fl.Bool("check", false, "predict changes without making them")
	fl.Bool("diff", false, "show diffs of changed files (secrets hidden)")
	fl.Int("forks", 10, "hosts worked on in parallel")
	fl.CountP("verbose", "v", "more output (repeatable)")
	fl.StringArray("set", nil, "override a var: key=value (repeatable; value is a YAML scalar)")
	fl.StringP("output", "o", "text", "output format: text or json")
	fl.Bool("accept-new-host-keys", false, "record unknown SSH host keys instead of refusing them")
	fl.String("known-hosts", "", "known_hosts file (default: the inventory's defaults.known_hosts, else the ssh config's UserKnownHostsFile, else ~/.ssh/known_hosts)")
	fl.String("ssh-config", "", "OpenSSH client config file (default: the inventory's defaults.ssh_config, else ~/.ssh/config then /etc/ssh/ssh_config; \"none\": no config)")
	fl.Duration("connect-timeout", 10*time.Second, "bound for reaching a host: TCP connect plus SSH handshake, per hop")
	fl.String("playbook-dir", "", "directory whose playbooks override the built-in ones by name")
}

// Resolve fills s from flags, env and the config file.
func Resolve(cmd *cobra.Command, s *Settings) error {
	v := viper.New()
	v.SetEnvPrefix("ZDMCTL")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	if err := v.BindPFlags(cmd.Flags()); err != nil {
		return err
	}
	cfg, explicit := v.GetString("config"), true
	if cfg == "" {
		explicit = false
		dir, err := os.UserConfigDir()
		if err == nil {
			cfg = filepath.Join(dir, "zdmctl", "config.yaml")
		}
	}
	if cfg != "" {
		v.SetConfigFile(cfg)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			var nf viper.ConfigFileNotFoundError
			if explicit || !(errors.As(err, &nf) || errors.Is(err, os.ErrNotExist)) {
				return fmt.Errorf("config file %s: %w", cfg, err)
			}
		} else {
			s.ConfigFile = cfg
		}
	}
	s.Inventory = v.GetString("inventory")
	s.Limit = v.GetString("limit")
	s.Check = v.GetBool("check")
	s.Diff = v.GetBool("diff")
	s.Forks = v.GetInt("forks")
	s.Verbose = v.GetInt("verbose")
	s.Set = v.GetStringSlice("set")
	s.Output = v.GetString("output")
	s.AcceptNewHostKeys = v.GetBool("accept-new-host-keys")
	s.KnownHosts = v.GetString("known-hosts")
	s.SSHConfig = v.GetString("ssh-config")
	s.ConnectTimeout = v.GetDuration("connect-timeout")
	s.PlaybookDir = v.GetString("playbook-dir")
	if s.Output != "text" && s.Output != "json" {
		return fmt.Errorf("--output %q: want text or json", s.Output)
	}
	if s.ConnectTimeout <= 0 {
		return fmt.Errorf("--connect-timeout %s: want a positive duration", s.ConnectTimeout)
	}
	if s.Forks < 1 {
		return fmt.Errorf("--forks %d: want at least 1", s.Forks)
	}
	return nil
}

// WantsJSON guesses --output json from raw args and env, for errors that
// happen before flags are parsed.
func WantsJSON(args []string) bool {
	for i, a := range args {
		switch {
		case a == "--output=json" || a == "-ojson" || a == "-o=json":
			return true
		case (a == "--output" || a == "-o") && i+1 < len(args) && args[i+1] == "json":
			return true
		}
	}
	return os.Getenv("ZDMCTL_OUTPUT") == "json"
}

// SSHDefaults applies the inventory's defaults.known_hosts and
// defaults.ssh_config where --known-hosts / --ssh-config were not given.
func (s *Settings) SSHDefaults(knownHosts, sshConfig string) {
	if s.KnownHosts == "" {
		s.KnownHosts = knownHosts
	}
	if s.SSHConfig == "" {
		s.SSHConfig = sshConfig
	}
}
