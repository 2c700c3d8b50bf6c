package inventory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// File format (every section optional):
//
//	vars: {key: value, ...}          # global vars
//	secret_vars: [key, ...]          # extra var names whose values are secret
//	defaults: {user: ubuntu, port: 22, identity_file: ~/.ssh/id_ed25519,
//	           connection: ssh, become: true,
//	           known_hosts: ssh/known_hosts, ssh_config: ssh/config}  # paths relative to this file
//	hosts:                           # hosts outside any group (optional)
//	  name: {address: ..., ...}
//	groups:
//	  proxies:
//	    vars: {...}
//	    hosts:
//	      proxy-1: {address: 10.0.0.11, port: 22, user: ubuntu,
//	                identity_file: ~/.ssh/id, connection: ssh, become: true,
//	                vars: {...}}
//	      proxy-2: {address: 10.0.0.12}
//	  monitoring:
//	    hosts:
//	      proxy-1:                   # already defined: a bare reference
//	      mon-1: {address: 10.0.0.20}
//
// A host may appear in several groups; its fields are written in exactly one
// entry, every other entry is empty.

var (
	topKeys     = []string{"vars", "secret_vars", "defaults", "hosts", "groups", "rollout"}
	groupKeys   = []string{"vars", "hosts"}
	hostKeys    = []string{"address", "port", "user", "identity_file", "connection", "become", "vars"}
	defaultKeys = []string{"port", "user", "identity_file", "connection", "become", "known_hosts", "ssh_config"}
)

// Load reads and validates an inventory file. Errors name the file, line and
// field; every problem found is reported (joined).
func Load(path string) (*Inventory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read inventory: %w", err)
	}
	return parse(path, data)
}

var yamlLineRE = regexp.MustCompile(`line (\d+): `)

func parse(path string, data []byte) (*Inventory, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 0
		msg := err.Error()
		if m := yamlLineRE.FindStringSubmatchIndex(msg); m != nil {
			line, _ = strconv.Atoi(msg[m[2]:m[3]])
			msg = msg[m[1]:]
		}
		line, msg = yamlErrorLine(data, line, msg)
		return nil, &Error{File: path, Line: line, Msg: "invalid YAML: " + msg}
	}
	p := &parser{file: path, inv: &Inventory{Path: path, Vars: map[string]any{}}, defs: map[string]*yaml.Node{}}
	if len(doc.Content) > 0 {
		p.top(doc.Content[0])
	}
	p.finish()
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return p.inv, nil
}

type parser struct {
	file     string
	inv      *Inventory
	errs     []error
	defaults hostFields
	// defs holds the key node of the entry defining each host.
	defs map[string]*yaml.Node
	// firstRef holds the key node of each host's first entry, for "missing
	// address" errors on hosts that are only referenced.
	firstRef  map[string]refAt
	refKeys   map[string]bool
	becomeSet map[string]bool
}

type refAt struct {
	node  *yaml.Node
	field string
}

// hostFields are the connection fields of a host entry or of defaults.
type hostFields struct {
	address, user, identity, connection string
	knownHosts, sshConfig               string
	port                                int
	become                              *bool
	vars                                map[string]any
	has                                 map[string]bool
}

func (p *parser) errf(n *yaml.Node, field, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: n.Line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// mapping iterates over a mapping node's pairs, reporting a wrong node kind,
// non-string keys, duplicate keys and keys outside allowed (nil = any key).
func (p *parser) mapping(n *yaml.Node, field string, allowed []string, fn func(k, v *yaml.Node, field string)) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errf(n, field, "want a mapping, got %s", describe(n))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kf := joinField(field, k.Value)
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			p.errf(k, field, "want a non-empty name as key, got %s", describe(k))
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			p.errf(k, kf, "duplicate key (first at line %d)", prev)
			continue
		}
		seen[k.Value] = k.Line
		if allowed != nil && !contains(allowed, k.Value) {
			p.errf(k, kf, "unknown key (want one of %s)", listWords(allowed))
			continue
		}
		fn(k, v, kf)
	}
}

func (p *parser) top(n *yaml.Node) {
	// Defaults first (a host's checks depend on them), then every section
	// in file order, so hosts are listed in the order they first appear.
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "defaults" {
				p.defaults = p.hostFields(n.Content[i+1], "defaults", defaultKeys, "")
				break
			}
		}
	}
	p.mapping(n, "", topKeys, func(k, v *yaml.Node, field string) {
		switch k.Value {
		case "vars":
			p.inv.Vars = p.vars(v, field, "")
		case "secret_vars":
			p.secretVars(v, field)
		case "groups":
			p.groups(v)
		case "hosts":
			p.hostList(v, field, nil)
		case "rollout":
			p.rollout(v, field)
		}
	})
}

func (p *parser) secretVars(n *yaml.Node, field string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errf(n, field, "want a list of var names, got %s", describe(n))
		return
	}
	for i, item := range n.Content {
		if item.Kind != yaml.ScalarNode || item.Tag == "!!null" || item.Value == "" {
			p.errf(item, fmt.Sprintf("%s[%d]", field, i), "want a var name, got %s", describe(item))
			continue
		}
		p.inv.SecretKeys = append(p.inv.SecretKeys, item.Value)
	}
}

// vars reads a vars mapping and records where each var is set, under
// scope (see VarSource).
func (p *parser) vars(n *yaml.Node, field, scope string) map[string]any {
	out := map[string]any{}
	p.mapping(n, field, nil, func(k, v *yaml.Node, f string) {
		p.inv.setSource(scope, k.Value, Source{File: p.file, Line: k.Line, Field: f})
		var val any
		if err := v.Decode(&val); err != nil {
			p.errf(v, f, "cannot decode value: %v", err)
			return
		}
		if hasRef(val) {
			if p.refKeys == nil {
				p.refKeys = map[string]bool{}
			}
			p.refKeys[k.Value] = true
		}
		out[k.Value] = val
	})
	return out
}

func (p *parser) groups(n *yaml.Node) {
	p.mapping(n, "groups", nil, func(k, v *yaml.Node, field string) {
		name := k.Value
		if name == "all" {
			p.errf(k, field, "\"all\" is reserved for every host")
			return
		}
		g := &Group{Name: name, Vars: map[string]any{}}
		p.inv.Groups = append(p.inv.Groups, g)
		p.mapping(v, field, groupKeys, func(k, v *yaml.Node, f string) {
			switch k.Value {
			case "vars":
				g.Vars = p.vars(v, f, groupScope(name))
			case "hosts":
				p.hostList(v, f, g)
			}
		})
	})
}

// hostList reads a hosts mapping; g is nil for top-level hosts.
func (p *parser) hostList(n *yaml.Node, field string, g *Group) {
	p.mapping(n, field, nil, func(k, v *yaml.Node, f string) {
		name := k.Value
		if p.inv.Host(name) == nil {
			p.inv.Hosts = append(p.inv.Hosts, &Host{Name: name, Line: k.Line, Vars: map[string]any{}})
			if p.firstRef == nil {
				p.firstRef = map[string]refAt{}
			}
			p.firstRef[name] = refAt{k, f}
		}
		h := p.inv.Host(name)
		if g != nil {
			g.Hosts = append(g.Hosts, name)
			h.Groups = append(h.Groups, g.Name)
		}
		if isEmpty(v) {
			return
		}
		if prev, dup := p.defs[name]; dup {
			p.errf(k, f, "duplicate host: already defined at line %d (define a host's fields once; other entries stay empty)", prev.Line)
			return
		}
		p.defs[name] = k
		hf := p.hostFields(v, f, hostKeys, hostScope(name))
		p.applyHost(h, hf, k, f)
	})
}

func isEmpty(n *yaml.Node) bool {
	return (n.Kind == yaml.ScalarNode && n.Tag == "!!null") || (n.Kind == yaml.MappingNode && len(n.Content) == 0)
}

func (p *parser) hostFields(n *yaml.Node, field string, allowed []string, scope string) hostFields {
	hf := hostFields{has: map[string]bool{}}
	p.mapping(n, field, allowed, func(k, v *yaml.Node, f string) {
		hf.has[k.Value] = true // even when invalid: one error per field
		switch k.Value {
		case "known_hosts", "ssh_config":
			s, ok := p.str(v, f)
			if !ok {
				return
			}
			if k.Value == "known_hosts" {
				hf.knownHosts = s
			} else {
				hf.sshConfig = s
			}
		case "address", "user", "identity_file":
			s, ok := p.str(v, f)
			if !ok {
				return
			}
			switch k.Value {
			case "address":
				hf.address = s
			case "user":
				hf.user = s
			case "identity_file":
				hf.identity = s
			}
		case "port":
			port, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || err != nil || port < 1 || port > 65535 {
				p.errf(v, f, "want an integer 1-65535, got %s", describe(v))
				return
			}
			hf.port = port
		case "connection":
			if v.Kind != yaml.ScalarNode || (v.Value != "ssh" && v.Value != "local") {
				p.errf(v, f, "want ssh or local, got %s", describe(v))
				return
			}
			hf.connection = v.Value
		case "become":
			var b bool
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&b) != nil {
				p.errf(v, f, "want true or false, got %s", describe(v))
				return
			}
			hf.become = &b
		case "vars":
			hf.vars = p.vars(v, f, scope)
		}
	})
	return hf
}

func (p *parser) str(v *yaml.Node, f string) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || v.Value == "" {
		p.errf(v, f, "want a non-empty string, got %s", describe(v))
		return "", false
	}
	return v.Value, true
}

func (p *parser) applyHost(h *Host, hf hostFields, k *yaml.Node, field string) {
	h.Line = k.Line
	h.Address, h.User, h.IdentityFile, h.Connection, h.Port = hf.address, hf.user, hf.identity, hf.connection, hf.port
	if hf.become != nil {
		h.Become = *hf.become
		if p.becomeSet == nil {
			p.becomeSet = map[string]bool{}
		}
		p.becomeSet[h.Name] = true
	}
	if hf.vars != nil {
		h.Vars = hf.vars
	}
	conn := hf.connection
	if conn == "" {
		conn = p.defaults.connection
	}
	if !hf.has["address"] && conn != "local" {
		p.errf(k, joinField(field, "address"), "missing (required for ssh hosts)")
	}
}

// finish applies defaults and checks hosts that were only referenced.
func (p *parser) finish() {
	d := p.defaults
	for _, h := range p.inv.Hosts {
		if _, defined := p.defs[h.Name]; !defined {
			ref := p.firstRef[h.Name]
			if d.connection != "local" {
				p.errf(ref.node, ref.field, "host has no definition: address missing (give its fields in one entry)")
			}
		}
		if h.Connection == "" {
			h.Connection = d.connection
		}
		if h.Connection == "" {
			h.Connection = "ssh"
		}
		if h.Address == "" && h.Connection == "local" {
			h.Address = "localhost"
		}
		if h.User == "" {
			h.User = d.user
		}
		if h.IdentityFile == "" {
			h.IdentityFile = d.identity
		}
		if h.Port == 0 {
			h.Port = d.port
		}
		if h.Port == 0 {
			h.Port = 22
		}
		if d.become != nil && !p.becomeSet[h.Name] {
			h.Become = *d.become
		}
	}
	for _, g := range p.inv.Groups {
		if p.inv.Host(g.Name) != nil {
			ref := p.firstRef[g.Name]
			p.errf(ref.node, ref.field, "a host may not have the same name as group %q", g.Name)
		}
	}
	p.inv.refKeys = p.refKeys
	p.inv.KnownHosts = p.relPath(d.knownHosts)
	p.inv.SSHConfig = p.relPath(d.sshConfig)
}

// relPath resolves a path of the file relative to its directory (~ and
// absolute paths as they are; "none" kept).
func (p *parser) relPath(s string) string {
	if s == "" || s == "none" || filepath.IsAbs(s) || s == "~" || strings.HasPrefix(s, "~/") {
		return s
	}
	return filepath.Join(filepath.Dir(p.file), s)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func listWords(list []string) string {
	out := ""
	for i, w := range list {
		switch {
		case i == 0:
		case i == len(list)-1:
			out += " or "
		default:
			out += ", "
		}
		out += w
	}
	return out
}
