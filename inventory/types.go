// Package inventory reads the YAML inventory: hosts, groups and vars, with
// secret references (env:NAME, file:PATH) and redaction of secret values.
//
// Var precedence, lowest to highest: global vars, group vars (in the order
// the groups are declared), host vars, then --set overrides.
package inventory

// Inventory is a loaded, validated inventory file.
type Inventory struct {
	Path   string         // file it was loaded from
	Vars   map[string]any // global vars
	Groups []*Group       // in file order
	Hosts  []*Host        // every host once, in first-seen order
	// SecretKeys are var names explicitly marked secret in the file
	// (in addition to names ending in password, token or secret).
	SecretKeys []string
	// KnownHosts and SSHConfig are defaults.known_hosts and
	// defaults.ssh_config (resolved against the file's directory): used
	// when --known-hosts / --ssh-config are not given.
	KnownHosts, SSHConfig string
	// Rollout is the `rollout:` section (health gate settings).
	Rollout Rollout

	// refKeys are var names whose value is an env:/file: reference somewhere
	// in the file; they are treated as secret too.
	refKeys map[string]bool
	// sources say where each var is set: scope ("", "group/NAME" or
	// "host/NAME") -> var name -> place in the file.
	sources map[string]map[string]Source
}

// Group is a named set of hosts with its own vars.
type Group struct {
	Name  string
	Hosts []string // host names, in file order
	Vars  map[string]any
}

// Host is one machine.
type Host struct {
	Name         string
	Address      string
	Port         int    // SSH port, default 22
	User         string // SSH user
	IdentityFile string // SSH private key path
	// Connection is "ssh" (default) or "local".
	Connection string
	// Become makes every task run through sudo unless a play says otherwise.
	Become bool
	Vars   map[string]any
	Groups []string // names of the groups it belongs to, in file order
	Line   int      // line in the inventory file, for error messages
}

// Group returns the named group, or nil.
func (inv *Inventory) Group(name string) *Group {
	for _, g := range inv.Groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// Host returns the named host, or nil.
func (inv *Inventory) Host(name string) *Host {
	for _, h := range inv.Hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}
