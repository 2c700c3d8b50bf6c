package transport

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// sshConfig is the subset of an OpenSSH client config file zdmctl honours:
// Host blocks with HostName, User, Port, IdentityFile, IdentitiesOnly,
// ProxyJump, UserKnownHostsFile and StrictHostKeyChecking. As in
// OpenSSH, the first value found for a keyword wins (IdentityFile
// accumulates), Host patterns use * and ? with !negation, and Include is
// followed. Match blocks are skipped.
type sshConfig struct {
	entries []configEntry
}

type configEntry struct {
	patterns []string // from the Host line; nil for the implicit global block
	file     string   // where the Host line is
	line     int
	match    bool // a Match block: never applies
	options  [][2]string
}

// hostConfig is what the config says about one host alias.
type hostConfig struct {
	HostName       string
	User           string
	Port           int
	IdentityFiles  []string
	ProxyJump      string
	ProxyCommand   string
	HashKnownHosts bool
	// UserKnownHostsFiles: the first is read and appended to, the others
	// read only (as ssh does).
	UserKnownHostsFiles   []string
	StrictHostKeyChecking string // yes, accept-new, no, off, ask ("" unset)
	IdentitiesOnly        bool
}

// systemSSHConfig is read after the user's file when DialOptions leave
// SSHConfigFile at its default, as ssh does.
var systemSSHConfig = "/etc/ssh/ssh_config"

// loadSSHConfig reads the files in order (earlier files win); missing files
// are skipped.
func loadSSHConfig(paths ...string) (*sshConfig, error) {
	cfg := &sshConfig{}
	for _, p := range paths {
		// Each file starts outside any Host block.
		cfg.entries = append(cfg.entries, configEntry{})
		if err := cfg.read(p, 0); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

func (c *sshConfig) read(path string, depth int) error {
	if depth > 8 {
		return fmt.Errorf("ssh config %s: Include nested too deeply", path)
	}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ssh config: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		key, args := splitConfigLine(sc.Text())
		if key == "" {
			continue
		}
		switch strings.ToLower(key) {
		case "host":
			c.entries = append(c.entries, configEntry{patterns: args, file: path, line: line})
		case "match":
			c.entries = append(c.entries, configEntry{match: true})
		case "include":
			for _, pat := range args {
				pat = expandTilde(pat)
				if !filepath.IsAbs(pat) {
					pat = filepath.Join(filepath.Dir(path), pat)
				}
				files, _ := filepath.Glob(pat)
				for _, inc := range files {
					if err := c.read(inc, depth+1); err != nil {
						return err
					}
				}
			}
		default:
			if len(args) == 0 {
				continue // ssh would refuse it; ignoring is kinder to a run
			}
			if len(c.entries) == 0 {
				c.entries = append(c.entries, configEntry{})
			}
			e := &c.entries[len(c.entries)-1]
			e.options = append(e.options, [2]string{strings.ToLower(key), strings.Join(args, " ")})
		}
	}
	return sc.Err()
}

// splitConfigLine returns the keyword and its arguments ("Key value",
// "Key=value", double quotes group words, # starts a comment).
func splitConfigLine(line string) (string, []string) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", nil
	}
	var words []string
	var cur strings.Builder
	inQuote, have := false, false
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == '"':
			inQuote = !inQuote
			have = true
		case !inQuote && (ch == ' ' || ch == '\t' || (ch == '=' && len(words) == 0)):
			if have {
				words = append(words, cur.String())
				cur.Reset()
				have = false
			}
		case !inQuote && ch == '#':
			i = len(line)
		default:
			cur.WriteByte(ch)
			have = true
		}
	}
	if have {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return "", nil
	}
	return words[0], words[1:]
}

// lookup returns the settings for host (the name as given, before HostName).
func (c *sshConfig) lookup(host string) hostConfig {
	var hc hostConfig
	if c == nil {
		return hc
	}
	lower := strings.ToLower(host)
	seen := map[string]bool{}
	for _, e := range c.entries {
		if e.match || (e.patterns != nil && !matchHostPatterns(e.patterns, lower)) {
			continue
		}
		for _, o := range e.options {
			key, val := o[0], o[1]
			if key == "identityfile" {
				hc.IdentityFiles = append(hc.IdentityFiles, val)
				continue
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			switch key {
			case "hostname":
				hc.HostName = strings.ReplaceAll(val, "%h", host)
			case "user":
				hc.User = val
			case "port":
				if p, err := strconv.Atoi(val); err == nil && p > 0 && p < 65536 {
					hc.Port = p
				}
			case "proxyjump":
				hc.ProxyJump = val
			case "proxycommand":
				hc.ProxyCommand = val
			case "hashknownhosts":
				hc.HashKnownHosts = strings.EqualFold(val, "yes")
			case "userknownhostsfile":
				if !strings.EqualFold(val, "none") {
					hc.UserKnownHostsFiles = strings.Fields(val)
				}
			case "stricthostkeychecking":
				hc.StrictHostKeyChecking = strings.ToLower(val)
			case "identitiesonly":
				hc.IdentitiesOnly = strings.EqualFold(val, "yes")
			}
		}
	}
	return hc
}

// matchHostPatterns applies OpenSSH Host semantics: some pattern matches and
// no negated pattern does.
func matchHostPatterns(patterns []string, host string) bool {
	matched := false
	for _, p := range patterns {
		for _, alt := range strings.Split(p, ",") {
			neg := strings.HasPrefix(alt, "!")
			if neg {
				alt = alt[1:]
			}
			if wildcard(strings.ToLower(alt), host) {
				if neg {
					return false
				}
				matched = true
			}
		}
	}
	return matched
}

// wildcard matches s against pattern with * (any run) and ? (one char).
func wildcard(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if wildcard(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return s == ""
}

func expandTilde(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// NameOnlyBlocks are the Host blocks that match name but not address:
// like ssh and Ansible, zdmctl matches Host patterns against the address a
// host is reached at, so such a block does not apply to it. Each is
// "FILE:LINE: Host PATTERNS".
func (c *sshConfig) NameOnlyBlocks(name, address string) []string {
	if c == nil || name == "" || strings.EqualFold(name, address) {
		return nil
	}
	var out []string
	for _, e := range c.entries {
		if e.match || e.patterns == nil {
			continue
		}
		if matchHostPatterns(e.patterns, strings.ToLower(name)) && !matchHostPatterns(e.patterns, strings.ToLower(address)) {
			out = append(out, fmt.Sprintf("%s:%d: Host %s", e.file, e.line, strings.Join(e.patterns, " ")))
		}
	}
	return out
}

// nameOnlyWarned remembers the warnings given, once per process.
var nameOnlyWarned sync.Map

// warnNameOnlyBlocks warns, once per host and block, when a Host block of
// the ssh config matches the inventory name but not the address.
func warnNameOnlyBlocks(cfg *sshConfig, name, address string) {
	for _, b := range cfg.NameOnlyBlocks(name, address) {
		if _, dup := nameOnlyWarned.LoadOrStore(name+"\x00"+b, true); dup {
			continue
		}
		slog.Warn(fmt.Sprintf("ssh config %s matches inventory host %s by its name, but Host patterns match the address it is reached at (%s), as in ssh and Ansible: this block does not apply to it; add the address to the Host line", b, name, address))
	}
}

// NameOnlyHostBlocks reads the ssh config as Dial does (configFile, or
// "" for ~/.ssh/config then /etc/ssh/ssh_config; "none": nothing) and
// returns the Host blocks ("FILE:LINE: Host PATTERNS") that match the
// inventory name but not the address: they do not apply to that host.
func NameOnlyHostBlocks(configFile, name, address string) ([]string, error) {
	if configFile == "none" {
		return nil, nil
	}
	paths := []string{expandTilde(configFile)}
	if configFile == "" {
		paths = []string{expandTilde("~/.ssh/config"), systemSSHConfig}
	}
	cfg, err := loadSSHConfig(paths...)
	if err != nil {
		return nil, err
	}
	if address == "" {
		return nil, nil
	}
	return cfg.NameOnlyBlocks(name, address), nil
}
