package zdmcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/inventory"
)

const peerTokenInv = `vars:
  origin_contact_points: "10.0.1.1"
  target_contact_points: "10.0.2.1"
%s
groups:
  proxies:
    hosts:
      p1: {address: 10.0.0.1}
      p2: {address: 10.0.0.2}
`

func peerTokenFactory(t *testing.T, extra string) (*cmdutil.Factory, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "zdm.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(peerTokenInv, "%s", extra, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	f, _, _ := cmdtest.Factory(nil)
	f.LoadInventory = func(p string) (cmdutil.Inventory, error) { return inventory.Load(p) }
	f.Settings.Inventory = path
	return f, path
}

func renderedToken(t *testing.T, e *Env, host string) string {
	t.Helper()
	return e.Fleet.Configs[host].Values[PeerTokenVar]
}

// A deploy of an inventory without peer_notice_token generates one token
// for the whole fleet, 0600 beside the inventory, renders it into every
// proxy's config, and a second plan renders the very same configs (a
// no-op deploy stays a no-op); other commands render it too, and the
// inventory file is left alone.
func TestDeployGeneratesOneStablePeerToken(t *testing.T) {
	f, path := peerTokenFactory(t, "")
	before, _ := os.ReadFile(path)
	tokPath := PeerTokenPath(path)
	if tokPath != filepath.Join(filepath.Dir(path), "zdm.peer-notice-token") {
		t.Fatalf("token path %s", tokPath)
	}
	// Commands other than deploy create nothing.
	e0, err := Load(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tokPath); !os.IsNotExist(err) || renderedToken(t, e0, "p1") != "" {
		t.Fatalf("status-like load created a token: %v %q", err, renderedToken(t, e0, "p1"))
	}
	e1, err := LoadForDeploy(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(tokPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, mode %v", err, st)
	}
	tok := renderedToken(t, e1, "p1")
	if len(tok) != 64 || renderedToken(t, e1, "p2") != tok {
		t.Fatalf("p1 %q, p2 %q: want one 64-hex token for the fleet", tok, renderedToken(t, e1, "p2"))
	}
	if !strings.Contains(e1.Fleet.Configs["p1"].Text, tok) {
		t.Fatalf("token not in the rendered config:\n%s", e1.Fleet.Configs["p1"].Text)
	}
	e2, err := LoadForDeploy(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	e3, err := Load(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"p1", "p2"} {
		if e2.Fleet.Configs[h].SHA256() != e1.Fleet.Configs[h].SHA256() || e3.Fleet.Configs[h].SHA256() != e1.Fleet.Configs[h].SHA256() {
			t.Fatalf("%s: config changed between plans", h)
		}
	}
	if !e1.Inv.IsSecretKey(PeerTokenVar) {
		t.Fatal("peer_notice_token is not a secret var")
	}
	if red := e1.Inv.Redact(e1.Fleet.Vars["p1"]); red[PeerTokenVar] != inventory.Redacted {
		t.Fatalf("redacted vars show %v", red[PeerTokenVar])
	}
	after, _ := os.ReadFile(path)
	if string(after) != string(before) {
		t.Fatalf("inventory file changed:\n%s", after)
	}
}

// The operator's own token (here an env: reference) wins and no file is
// generated; --set wins too; "" opts out.
func TestPeerTokenFromInventory(t *testing.T) {
	t.Setenv("ZDM_TEST_FLEET_TOKEN", "operator-token")
	f, path := peerTokenFactory(t, "  peer_notice_token: env:ZDM_TEST_FLEET_TOKEN")
	e, err := LoadForDeploy(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := renderedToken(t, e, "p2"); got != "operator-token" {
		t.Fatalf("rendered %q", got)
	}
	if _, err := os.Stat(PeerTokenPath(path)); !os.IsNotExist(err) {
		t.Fatalf("generated a token beside an inventory that sets one: %v", err)
	}
	f2, path2 := peerTokenFactory(t, "")
	e, err = LoadForDeploy(f2, map[string]any{PeerTokenVar: "from-set"})
	if err != nil {
		t.Fatal(err)
	}
	if got := renderedToken(t, e, "p1"); got != "from-set" {
		t.Fatalf("rendered %q", got)
	}
	if _, err := os.Stat(PeerTokenPath(path2)); !os.IsNotExist(err) {
		t.Fatalf("generated a token despite --set: %v", err)
	}
	// An explicit empty value opts out: nothing rendered, nothing generated
	// (a proxy binary older than the key would refuse it).
	f3, path3 := peerTokenFactory(t, `  peer_notice_token: ""`)
	e, err = LoadForDeploy(f3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.Fleet.Configs["p1"].Text, PeerTokenVar) {
		t.Fatalf("rendered despite the opt-out:\n%s", e.Fleet.Configs["p1"].Text)
	}
	if _, err := os.Stat(PeerTokenPath(path3)); !os.IsNotExist(err) {
		t.Fatalf("generated a token despite the opt-out: %v", err)
	}
}
