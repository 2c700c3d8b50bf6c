package root

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/playbooks"
)

// addCompletions completes flag values: the rollout settings' choices,
// host and group names of the -i inventory for --limit, and playbook
// names for `playbook run` / `playbook validate`.
func addCompletions(root *cobra.Command) {
	fixed := func(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return values, cobra.ShellCompDirectiveNoFileComp
		}
	}
	_ = root.RegisterFlagCompletionFunc("limit", completeHosts)
	_ = root.RegisterFlagCompletionFunc("output", fixed("text", "json"))
	for _, c := range root.Commands() {
		switch c.Name() {
		case "rolling-update":
			_ = c.RegisterFlagCompletionFunc("read-mode", fixed("PRIMARY_ONLY", "DUAL_ASYNC_ON_SECONDARY"))
			_ = c.RegisterFlagCompletionFunc("primary-cluster", fixed("ORIGIN", "TARGET"))
			_ = c.RegisterFlagCompletionFunc("write-mode", fixed("DUAL_SYNC", "DUAL_ASYNC_ON_SECONDARY"))
			_ = c.RegisterFlagCompletionFunc("log-level", fixed("DEBUG", "INFO", "WARN", "ERROR"))
		case "client-config":
			_ = c.RegisterFlagCompletionFunc("driver", fixed("gocql", "java", "python", "all"))
		case "playbook":
			for _, sub := range c.Commands() {
				if sub.Name() == "run" || sub.Name() == "validate" {
					sub.ValidArgsFunction = completePlaybooks
				}
			}
		}
	}
}

// completeHosts lists the host and group names of the inventory named by
// -i (default inventory.yaml), for --limit (after a comma: more names).
func completeHosts(cmd *cobra.Command, _ []string, typed string) ([]string, cobra.ShellCompDirective) {
	path := "inventory.yaml"
	if fl := cmd.Flag("inventory"); fl != nil && fl.Value.String() != "" {
		path = fl.Value.String()
	}
	inv, err := inventory.Load(path)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	prefix := ""
	if i := strings.LastIndex(typed, ","); i >= 0 {
		prefix = typed[:i+1]
	}
	var out []string
	for _, g := range inv.Groups {
		out = append(out, prefix+g.Name)
	}
	for _, h := range inv.Hosts {
		out = append(out, prefix+h.Name)
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// completePlaybooks lists the built-in playbooks (and those of
// --playbook-dir); files complete as usual.
func completePlaybooks(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	dir := ""
	if fl := cmd.Flag("playbook-dir"); fl != nil {
		dir = fl.Value.String()
	}
	entries, err := playbooks.List(dir)
	if err != nil {
		return nil, cobra.ShellCompDirectiveDefault
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name)
	}
	return out, cobra.ShellCompDirectiveDefault
}
