// Package initcmd is `zdmctl init`: write a validated inventory for a ZDM
// migration from prompts (stdin) or flags.
package initcmd

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

// Options of `init`.
type Options struct {
	F        *cmdutil.Factory
	Out      string
	Force    bool
	Answers  Answers
	NoPrompt bool
	// Offline skips the reachability preflight at the end.
	Offline bool
}

// Answers are what init asks.
type Answers struct {
	Proxies        string // comma-separated addresses
	SSHUser        string
	SSHKey         string
	OriginContacts string
	OriginUser     string
	OriginPassword string // env:NAME or file:PATH, never the password itself
	OriginDC       string
	OriginPort     string
	TargetPort     string
	TargetContacts string
	TargetUser     string
	TargetPassword string
	TargetDC       string
	ProxyPort      string
	MetricsAddress string
	MetricsPort    string
	MonitoringHost string // address of a Prometheus host ("" none)
	Bastion        string // ProxyJump, [user@]host[:port] ("" none)
	KnownHosts     string // known_hosts file ("" the default)
}

// NewCmdInit builds the command; runF replaces Run in tests.
func NewCmdInit(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write an inventory for a ZDM migration (prompts, or flags for scripts)",
		Long: `Ask for the proxy hosts, the SSH user and key, the Origin and Target
contact points, credentials (only as env:NAME or file:PATH references: a
password itself is refused), local datacenters, the proxy and metrics
ports and metrics address, a monitoring host, a bastion (ProxyJump) and a
known_hosts file; each answer is checked as it is given, with the checks
deploy makes (the proxy's own config validation). Then write a validated
inventory (the -i path, default inventory.yaml; a bastion goes into an ssh
config file beside it, named by defaults.ssh_config) and try SSH to every
host as deploy will, unless --offline. Questions answered by flags are not
asked; --no-prompt fails on a missing answer. An existing file is only
overwritten with --force. -o json writes the document every command
writes (ok, exit_code, error) with the files written under data.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	fl := cmd.Flags()
	a := &opts.Answers
	fl.StringVar(&a.Proxies, "proxies", "", "proxy host addresses, comma-separated")
	fl.StringVar(&a.SSHUser, "ssh-user", "", "SSH user on the proxy hosts")
	fl.StringVar(&a.SSHKey, "ssh-key", "", "SSH private key file")
	fl.StringVar(&a.OriginContacts, "origin-contact-points", "", "Origin contact points, comma-separated")
	fl.StringVar(&a.OriginUser, "origin-username", "", "Origin user (optional)")
	fl.StringVar(&a.OriginPassword, "origin-password", "", "Origin password reference: env:NAME or file:PATH (optional)")
	fl.StringVar(&a.TargetContacts, "target-contact-points", "", "Target contact points, comma-separated")
	fl.StringVar(&a.TargetUser, "target-username", "", "Target user (optional)")
	fl.StringVar(&a.TargetPassword, "target-password", "", "Target password reference: env:NAME or file:PATH (optional)")
	fl.StringVar(&a.OriginPort, "origin-port", "", "Origin CQL port (default 9042)")
	fl.StringVar(&a.TargetPort, "target-port", "", "Target CQL port (default 9042)")
	fl.StringVar(&a.OriginDC, "origin-local-datacenter", "", "Origin datacenter the proxies use (optional)")
	fl.StringVar(&a.TargetDC, "target-local-datacenter", "", "Target datacenter the proxies use (optional)")
	fl.StringVar(&a.ProxyPort, "proxy-port", "", "port the proxies listen on for clients (default 9042)")
	fl.StringVar(&a.MetricsAddress, "metrics-address", "", "address of the metrics port, /metrics and /health/* (default 0.0.0.0: the peer proxies and Prometheus reach it; localhost: neither)")
	fl.StringVar(&a.MetricsPort, "metrics-port", "", "admin/metrics port (default 14001)")
	fl.StringVar(&a.MonitoringHost, "monitoring-host", "", "address of a host for Prometheus (optional)")
	fl.StringVar(&a.Bastion, "bastion", "", "jump host to reach the hosts, [user@]host[:port] (optional)")
	fl.StringVar(&a.KnownHosts, "known-hosts-file", "", "known_hosts file for these hosts (optional; default ~/.ssh/known_hosts)")
	fl.BoolVar(&opts.Offline, "offline", false, "do not try SSH to the hosts after writing")
	fl.StringVar(&opts.Out, "out", "", "file to write (default: the -i inventory path)")
	fl.BoolVar(&opts.Force, "force", false, "overwrite an existing file")
	fl.BoolVar(&opts.NoPrompt, "no-prompt", false, "never prompt; fail on a missing required answer")
	return cmd
}

type question struct {
	field    *string
	prompt   string
	required bool
	check    func(string) error // nil: anything
	def      string             // used when left empty
}

// Run asks, writes and validates.
func Run(opts *Options) error {
	f := opts.F
	out := opts.Out
	if out == "" {
		out = f.Settings.Inventory
	}
	if _, err := os.Stat(out); err == nil && !opts.Force {
		return cmdutil.UsageError(fmt.Errorf("%s exists: not overwritten (use --force)", out))
	}
	a := &opts.Answers
	qs := []question{
		{field: &a.Proxies, prompt: "Proxy host addresses (comma-separated)", required: true, check: checkAddresses},
		{field: &a.SSHUser, prompt: "SSH user", required: true},
		{field: &a.SSHKey, prompt: "SSH private key file", required: true, check: checkFileExists},
		{field: &a.OriginContacts, prompt: "Origin contact points (comma-separated)", required: true, check: proxyKey("origin_contact_points")},
		{field: &a.OriginUser, prompt: "Origin username (empty: none)"},
		{field: &a.OriginPassword, prompt: "Origin password reference, env:NAME or file:PATH (empty: none)", check: checkReference},
		{field: &a.TargetContacts, prompt: "Target contact points (comma-separated)", required: true, check: proxyKey("target_contact_points")},
		{field: &a.TargetUser, prompt: "Target username (empty: none)"},
		{field: &a.TargetPassword, prompt: "Target password reference, env:NAME or file:PATH (empty: none)", check: checkReference},
		{field: &a.OriginPort, prompt: "Origin CQL port", check: proxyKey("origin_port"), def: "9042"},
		{field: &a.TargetPort, prompt: "Target CQL port", check: proxyKey("target_port"), def: "9042"},
		{field: &a.OriginDC, prompt: "Origin local datacenter (empty: the driver's choice)"},
		{field: &a.TargetDC, prompt: "Target local datacenter (empty: the driver's choice)"},
		{field: &a.ProxyPort, prompt: "Proxy port for clients", check: proxyKey("proxy_listen_port"), def: "9042"},
		{field: &a.MetricsPort, prompt: "Proxy admin/metrics port", check: proxyKey("metrics_port"), def: "14001"},
		{field: &a.MonitoringHost, prompt: "Monitoring (Prometheus) host address (empty: none)", check: checkAddress},
		{field: &a.MetricsAddress, prompt: "Metrics address (0.0.0.0: peers and Prometheus reach it; localhost: neither)", check: proxyKey("metrics_address"), def: "0.0.0.0"},
		{field: &a.Bastion, prompt: "Bastion to jump through, [user@]host[:port] (empty: none)", check: checkBastion},
		{field: &a.KnownHosts, prompt: "known_hosts file (empty: ~/.ssh/known_hosts)"},
	}
	in := bufio.NewReader(f.IO.In)
	for _, q := range qs {
		if err := ask(f, in, q, opts.NoPrompt); err != nil {
			return err
		}
	}
	sshConfig := ""
	if a.Bastion != "" {
		sshConfig = strings.TrimSuffix(filepath.Base(out), filepath.Ext(out)) + ".ssh_config"
	}
	text, err := render(a, sshConfig)
	if err != nil {
		return cmdutil.UsageError(err)
	}
	if sshConfig != "" {
		if err := writeSSHConfig(filepath.Join(filepath.Dir(out), sshConfig), a); err != nil {
			return cmdutil.UsageError(err)
		}
	}
	if err := writeValidated(out, text); err != nil {
		return cmdutil.UsageError(err)
	}
	fmt.Fprintf(f.IO.ErrOut, "wrote %s\n", out)
	if !opts.Offline {
		if err := preflight(f, out); err != nil {
			return err
		}
	}
	fmt.Fprintf(f.IO.ErrOut, "next: zdmctl -i %s deploy\n", out)
	fmt.Fprintf(f.IO.ErrOut, "client settings: zdmctl -i %s client-config\n", out)
	w := Written{Inventory: out}
	if sshConfig != "" {
		w.SSHConfig = filepath.Join(filepath.Dir(out), sshConfig)
	}
	return f.ReportData(w, func() error { return nil }) // text: the lines on stderr above
}

// Written is the data of `init -o json`: the files init wrote.
type Written struct {
	Inventory string `json:"inventory"`
	SSHConfig string `json:"ssh_config,omitempty"`
}

// ask fills q's answer: from a flag, else the prompt (asked again while
// required and empty, or invalid), else its default.
func ask(f *cmdutil.Factory, in *bufio.Reader, q question, noPrompt bool) error {
	check := func() error {
		v := strings.TrimSpace(*q.field)
		if v == "" || q.check == nil {
			return nil
		}
		if err := q.check(v); err != nil {
			return fmt.Errorf("%s: %q: %w", q.prompt, v, err)
		}
		return nil
	}
	if strings.TrimSpace(*q.field) != "" || noPrompt {
		if err := check(); err != nil {
			return cmdutil.UsageError(err)
		}
		if strings.TrimSpace(*q.field) == "" {
			if q.required {
				return cmdutil.UsageError(fmt.Errorf("missing answer: %s", q.prompt))
			}
			*q.field = q.def
		}
		return nil
	}
	for {
		prompt := q.prompt
		if q.def != "" {
			prompt += " [" + q.def + "]"
		}
		fmt.Fprintf(f.IO.ErrOut, "%s: ", prompt)
		line, err := in.ReadString('\n')
		*q.field = strings.TrimSpace(line)
		if cerr := check(); cerr != nil {
			fmt.Fprintf(f.IO.ErrOut, "  %v\n", cerr)
			*q.field = ""
			if err != nil {
				return cmdutil.UsageError(cerr)
			}
			continue
		}
		if *q.field != "" {
			return nil
		}
		if !q.required {
			*q.field = q.def
			return nil
		}
		if err != nil {
			return cmdutil.UsageError(fmt.Errorf("no answer for %q (end of input)", q.prompt))
		}
	}
}

// Render builds the inventory text.
func Render(a *Answers) (string, error) {
	return render(a, "")
}

// render builds the inventory text; sshConfig is the ssh config file it
// names ("" none).
func render(a *Answers, sshConfig string) (string, error) {
	var addrs []string
	for _, p := range strings.Split(a.Proxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			addrs = append(addrs, p)
		}
	}
	if len(addrs) == 0 {
		return "", errors.New("at least one proxy address is required")
	}
	var b strings.Builder
	b.WriteString("# ZDM migration inventory written by `zdmctl init`; see inventory/examples/zdm.yaml\n# for every setting. Edit freely: zdmctl renders the proxy config from it.\n\nvars:\n")
	// Each answer in the order an operator reads them; empty ones are left
	// out (the proxy's default applies). Numbers and enum words go unquoted.
	for _, f := range []struct {
		key, value string
		bare       bool
	}{
		{"origin_contact_points", a.OriginContacts, false},
		{"origin_username", a.OriginUser, false},
		{"origin_password", a.OriginPassword, false},
		{"target_contact_points", a.TargetContacts, false},
		{"target_username", a.TargetUser, false},
		{"target_password", a.TargetPassword, false},
		{"origin_local_datacenter", a.OriginDC, false},
		{"target_local_datacenter", a.TargetDC, false},
		{"primary_cluster", "ORIGIN", true},
		{"read_mode", "PRIMARY_ONLY", true},
		{"log_level", "INFO", true},
		{"origin_port", a.OriginPort, true},
		{"target_port", a.TargetPort, true},
		{"proxy_listen_port", a.ProxyPort, true},
		{"metrics_port", a.MetricsPort, true},
		{"metrics_address", a.MetricsAddress, false},
	} {
		switch {
		case f.value == "":
		case f.bare:
			fmt.Fprintf(&b, "  %s: %s\n", f.key, f.value)
		default:
			fmt.Fprintf(&b, "  %s: %q\n", f.key, f.value)
		}
	}
	b.WriteString("\ndefaults:\n")
	fmt.Fprintf(&b, "  user: %q\n  identity_file: %q\n  become: true\n", a.SSHUser, a.SSHKey)
	if a.KnownHosts != "" {
		fmt.Fprintf(&b, "  known_hosts: %q\n", a.KnownHosts)
	}
	if sshConfig != "" {
		fmt.Fprintf(&b, "  ssh_config: %q\n", sshConfig)
	}
	b.WriteString("\ngroups:\n  proxies:\n    hosts:\n")
	for i, ad := range addrs {
		fmt.Fprintf(&b, "      zdm-proxy-%d: {address: %q}\n", i+1, ad)
	}
	if a.MonitoringHost != "" {
		fmt.Fprintf(&b, "  monitoring:\n    hosts:\n      zdm-monitoring: {address: %q}\n", a.MonitoringHost)
	}
	return b.String(), nil
}

// writeValidated writes text to path only when it loads and renders.
func writeValidated(path, text string) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".zdmctl-init-*.yaml")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(text); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	inv, err := inventory.Load(tmp.Name())
	if err != nil {
		return fmt.Errorf("the answers do not make a valid inventory: %w", err)
	}
	// Credentials may be references to set later (env:NAME): check the
	// structure with stand-ins for them.
	stand := map[string]any{"origin_password": "x", "target_password": "x"}
	fleet, err := zdm.Plan(inv, stand)
	if err != nil {
		return fmt.Errorf("the answers do not make a valid inventory: %w", err)
	}
	if _, err := zdm.PlanMonitoring(inv, fleet, stand); err != nil {
		return fmt.Errorf("the answers do not make a valid inventory: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return err
	}
	return nil
}

// writeSSHConfig writes the ssh config naming the bastion for every host
// address (Host patterns match addresses, as in ssh), then the operator's
// own config.
func writeSSHConfig(path string, a *Answers) error {
	var hosts []string
	for _, p := range strings.Split(a.Proxies+","+a.MonitoringHost, ",") {
		if p = strings.TrimSpace(p); p != "" {
			hosts = append(hosts, p)
		}
	}
	text := fmt.Sprintf("# Written by `zdmctl init`: the hosts are reached through the bastion.\nHost %s\n  ProxyJump %s\n\nInclude ~/.ssh/config\n", strings.Join(hosts, " "), a.Bastion)
	return os.WriteFile(path, []byte(text), 0o600)
}
