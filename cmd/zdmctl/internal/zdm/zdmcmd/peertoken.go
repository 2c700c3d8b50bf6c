package zdmcmd

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/inventory"
)

// PeerTokenVar is the proxy key (and inventory var) of the fleet's shared
// secret for the peer notices between proxies (proxy/peernotice).
const PeerTokenVar = "peer_notice_token"

// PeerTokenPath is the file beside the inventory that holds the token
// zdmctl generated for the fleet: <inventory name without extension>
// + ".peer-notice-token".
func PeerTokenPath(invPath string) string {
	base := filepath.Base(invPath)
	return filepath.Join(filepath.Dir(invPath), strings.TrimSuffix(base, filepath.Ext(base))+".peer-notice-token")
}

// defaultPeerToken makes the generated token the fleet's peer_notice_token
// when neither the inventory file (any scope) nor overrides set it: the
// var becomes a global file: reference to PeerTokenPath, in memory only
// (the inventory file is not changed). With create (deploy) the file is
// written first when missing: 32 random bytes in hex, mode 0600, never
// replaced, so every later run renders the same token (a no-op deploy
// stays a no-op, a rolling restart keeps the fleet on one token). Other
// commands only read it, so they render what deploy rendered.
func defaultPeerToken(inv cmdutil.Inventory, invPath string, overrides map[string]any, create bool) error {
	ri, ok := inv.(*inventory.Inventory)
	if !ok || invPath == "" {
		return nil
	}
	if _, set := overrides[PeerTokenVar]; set {
		return nil
	}
	for _, v := range ri.VarSources() {
		if v.Key == PeerTokenVar {
			return nil
		}
	}
	path := PeerTokenPath(invPath)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil
		}
		if err := writePeerToken(path); err != nil {
			return err
		}
	} else if err != nil {
		return fmt.Errorf("peer notice token: %w", err)
	}
	if ri.Vars == nil {
		ri.Vars = map[string]any{}
	}
	// Relative to the inventory's directory, as file: references are.
	ri.Vars[PeerTokenVar] = "file:" + filepath.Base(path)
	return nil
}

// writePeerToken creates path (0600, failing if it exists: another run
// won the race and its token stands) with a new random token.
func writePeerToken(path string) error {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("peer notice token: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("write the fleet's peer notice token: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(b) + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("write the fleet's peer notice token: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("write the fleet's peer notice token: %w", err)
	}
	return nil
}
