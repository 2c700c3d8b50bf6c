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
}

// Answers are what init asks.
type Answers struct {
	Proxies        string // comma-separated addresses
	SSHUser        string
	SSHKey         string
	OriginContacts string
	OriginUser     string
	OriginPassword string // env:NAME or file:PATH (or inline)
	TargetContacts string
	TargetUser     string
	TargetPassword string
}

// NewCmdInit builds the command; runF replaces Run in tests.
func NewCmdInit(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write an inventory for a ZDM migration (prompts, or flags for scripts)",
		Long: `Ask for the proxy hosts, the SSH user and key, and the Origin and Target
contact points (and credentials as env:NAME or file:PATH references), then
write a validated inventory (the -i path, default inventory.yaml). Questions
answered by flags are not asked; --no-prompt fails on a missing answer. An
existing file is only overwritten with --force.`,
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
	fl.StringVar(&opts.Out, "out", "", "file to write (default: the -i inventory path)")
	fl.BoolVar(&opts.Force, "force", false, "overwrite an existing file")
	fl.BoolVar(&opts.NoPrompt, "no-prompt", false, "never prompt; fail on a missing required answer")
	return cmd
}

type question struct {
	field    *string
	prompt   string
	required bool
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
		{&a.Proxies, "Proxy host addresses (comma-separated)", true},
		{&a.SSHUser, "SSH user", true},
		{&a.SSHKey, "SSH private key file", true},
		{&a.OriginContacts, "Origin contact points (comma-separated)", true},
		{&a.OriginUser, "Origin username (empty: none)", false},
		{&a.OriginPassword, "Origin password reference, env:NAME or file:PATH (empty: none)", false},
		{&a.TargetContacts, "Target contact points (comma-separated)", true},
		{&a.TargetUser, "Target username (empty: none)", false},
		{&a.TargetPassword, "Target password reference, env:NAME or file:PATH (empty: none)", false},
	}
	in := bufio.NewReader(f.IO.In)
	for _, q := range qs {
		for strings.TrimSpace(*q.field) == "" {
			if opts.NoPrompt {
				if q.required {
					return cmdutil.UsageError(fmt.Errorf("missing answer: %s", q.prompt))
				}
				break
			}
			fmt.Fprintf(f.IO.ErrOut, "%s: ", q.prompt)
			line, err := in.ReadString('\n')
			*q.field = strings.TrimSpace(line)
			if err != nil && *q.field == "" {
				if q.required {
					return cmdutil.UsageError(fmt.Errorf("no answer for %q (end of input)", q.prompt))
				}
				break
			}
			if !q.required {
				break
			}
		}
	}
	text, err := Render(a)
	if err != nil {
		return cmdutil.UsageError(err)
	}
	if err := writeValidated(out, text); err != nil {
		return cmdutil.UsageError(err)
	}
	fmt.Fprintf(f.IO.ErrOut, "wrote %s; next: zdmctl -i %s deploy\n", out, out)
	return nil
}

// Render builds the inventory text.
func Render(a *Answers) (string, error) {
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
	kv := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "  %s: %q\n", k, v)
		}
	}
	kv("origin_contact_points", a.OriginContacts)
	kv("origin_username", a.OriginUser)
	kv("origin_password", a.OriginPassword)
	kv("target_contact_points", a.TargetContacts)
	kv("target_username", a.TargetUser)
	kv("target_password", a.TargetPassword)
	b.WriteString("  primary_cluster: ORIGIN\n  read_mode: PRIMARY_ONLY\n  log_level: INFO\n\ndefaults:\n")
	fmt.Fprintf(&b, "  user: %q\n  identity_file: %q\n  become: true\n\ngroups:\n  proxies:\n    hosts:\n", a.SSHUser, a.SSHKey)
	for i, ad := range addrs {
		fmt.Fprintf(&b, "      zdm-proxy-%d: {address: %q}\n", i+1, ad)
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
	if _, err := zdm.Plan(inv, stand); err != nil {
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
