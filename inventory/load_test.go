package inventory

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const sample = `# fleet
vars:
  origin_contact_points: "10.0.0.1,10.0.0.2"
  origin_password: env:ZDM_TEST_ORIGIN_PASSWORD
  level: global
  port_hint: 1
secret_vars: [my_api_key]
defaults:
  user: ubuntu
  identity_file: ~/.ssh/id_ed25519
  become: true
groups:
  proxies:
    vars:
      level: proxies
      grp: p
    hosts:
      proxy-1:
        address: 10.0.0.11
        port: 2222
        vars: {level: host}
      proxy-2: {address: 10.0.0.12, user: admin, become: false}
  monitoring:
    vars: {level: monitoring, grp: m}
    hosts:
      proxy-1:
      mon-1: {address: 10.0.0.20}
hosts:
  laptop: {connection: local}
`

func writeInv(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadSample(t *testing.T) {
	inv, err := Load(writeInv(t, sample))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range inv.Hosts {
		names = append(names, h.Name)
	}
	if want := []string{"proxy-1", "proxy-2", "mon-1", "laptop"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("hosts %v, want %v", names, want)
	}
	p1 := inv.Host("proxy-1")
	want := Host{Name: "proxy-1", Address: "10.0.0.11", Port: 2222, User: "ubuntu", IdentityFile: "~/.ssh/id_ed25519",
		Connection: "ssh", Become: true, Vars: map[string]any{"level": "host"}, Groups: []string{"proxies", "monitoring"}, Line: 18}
	if !reflect.DeepEqual(*p1, want) {
		t.Fatalf("proxy-1 = %+v\nwant     %+v", *p1, want)
	}
	p2 := inv.Host("proxy-2")
	if p2.User != "admin" || p2.Become || p2.Port != 22 || p2.Connection != "ssh" {
		t.Fatalf("proxy-2 = %+v", *p2)
	}
	if l := inv.Host("laptop"); l.Connection != "local" || l.Address != "localhost" || l.Groups != nil {
		t.Fatalf("laptop = %+v", *l)
	}
	if g := inv.Group("monitoring"); !reflect.DeepEqual(g.Hosts, []string{"proxy-1", "mon-1"}) {
		t.Fatalf("monitoring hosts %v", g.Hosts)
	}
	if !reflect.DeepEqual(inv.SecretKeys, []string{"my_api_key"}) {
		t.Fatalf("secret keys %v", inv.SecretKeys)
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"bad port string", "hosts:\n  proxy-2:\n    address: a\n    port: abc\n",
			`inventory.yaml:4: hosts.proxy-2.port: want an integer 1-65535, got "abc"`},
		{"port out of range", "groups:\n  proxies:\n    hosts:\n      p1: {address: a, port: 70000}\n",
			`inventory.yaml:4: groups.proxies.hosts.p1.port: want an integer 1-65535, got "70000"`},
		{"unknown top key", "vars: {}\nhostz: {}\n",
			`inventory.yaml:2: hostz: unknown key (want one of vars, secret_vars, defaults, hosts, groups or rollout)`},
		{"unknown host key", "hosts:\n  h1:\n    address: a\n    adress: b\n",
			`inventory.yaml:4: hosts.h1.adress: unknown key (want one of address, port, user, identity_file, connection, become or vars)`},
		{"unknown group key", "groups:\n  g:\n    host: {}\n",
			`inventory.yaml:3: groups.g.host: unknown key (want one of vars or hosts)`},
		{"missing address", "groups:\n  proxies:\n    hosts:\n      p1: {user: u}\n",
			`inventory.yaml:4: groups.proxies.hosts.p1.address: missing (required for ssh hosts)`},
		{"only referenced", "groups:\n  proxies:\n    hosts:\n      p1:\n",
			`inventory.yaml:4: groups.proxies.hosts.p1: host has no definition: address missing (give its fields in one entry)`},
		{"duplicate host", "groups:\n  a:\n    hosts:\n      p1: {address: x}\n  b:\n    hosts:\n      p1: {address: y}\n",
			`inventory.yaml:7: groups.b.hosts.p1: duplicate host: already defined at line 4 (define a host's fields once; other entries stay empty)`},
		{"duplicate key", "hosts:\n  p1: {address: x}\n  p1: {address: y}\n",
			`inventory.yaml:3: hosts.p1: duplicate key (first at line 2)`},
		{"wrong type vars", "vars: [a, b]\n",
			`inventory.yaml:1: vars: want a mapping, got a list`},
		{"wrong type become", "hosts:\n  h: {address: a, become: yes please}\n",
			`inventory.yaml:2: hosts.h.become: want true or false, got "yes please"`},
		{"wrong type address", "hosts:\n  h: {address: [a]}\n",
			`inventory.yaml:2: hosts.h.address: want a non-empty string, got a list`},
		{"bad connection", "hosts:\n  h: {address: a, connection: winrm}\n",
			`inventory.yaml:2: hosts.h.connection: want ssh or local, got "winrm"`},
		{"secret_vars not list", "secret_vars: key\n",
			`inventory.yaml:1: secret_vars: want a list of var names, got "key"`},
		{"group named all", "groups:\n  all: {}\n",
			`inventory.yaml:2: groups.all: "all" is reserved for every host`},
		{"host named like group", "groups:\n  g:\n    hosts:\n      h: {address: a}\nhosts:\n  g: {address: b}\n",
			`inventory.yaml:6: hosts.g: a host may not have the same name as group "g"`},
		{"bad yaml", "vars:\n  a: 1\n  b: 2\n    c: 3\n",
			`inventory.yaml:4: invalid YAML: mapping values are not allowed in this context`},
		{"top is list", "- a\n", `inventory.yaml:1: want a mapping, got a list`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse("inventory.yaml", []byte(c.yaml))
			if err == nil {
				t.Fatalf("no error, want %s", c.want)
			}
			if err.Error() != c.want {
				t.Fatalf("error\n got %s\nwant %s", err, c.want)
			}
		})
	}
}

func TestLoadReportsEveryError(t *testing.T) {
	_, err := parse("inv.yaml", []byte("hosts:\n  a: {port: x}\n  b: {address: b, port: 0}\n"))
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{
		`inv.yaml:2: hosts.a.port: want an integer 1-65535, got "x"`,
		`inv.yaml:2: hosts.a.address: missing (required for ssh hosts)`,
		`inv.yaml:3: hosts.b.port: want an integer 1-65535, got "0"`,
	}
	if !reflect.DeepEqual(lines, want) {
		t.Fatalf("got %q\nwant %q", lines, want)
	}
}

func TestLoadDefaultsLocalNeedsNoAddress(t *testing.T) {
	inv, err := parse("i.yaml", []byte("defaults: {connection: local, port: 2200}\nhosts:\n  a:\n  b: {become: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if a := inv.Host("a"); a.Connection != "local" || a.Port != 2200 {
		t.Fatalf("a = %+v", *a)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("err = %v", err)
	}
}

func TestExampleInventory(t *testing.T) {
	inv, err := Load("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := inv.Select("all")
	if err != nil || len(hosts) != 5 {
		t.Fatalf("hosts %v %v", hosts, err)
	}
	if p3 := inv.Host("proxy-3"); p3.Port != 2222 || p3.User != "admin" || !p3.Become {
		t.Fatalf("proxy-3 %+v", *p3)
	}
	if !inv.IsSecretKey("metrics_api_key") || !inv.IsSecretKey("target_password") {
		t.Fatal("secret keys")
	}
}
