package admin_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/proxy/admin"
	"github.com/zdmctl/zdmctl/proxy/config"
)

// peer_notice_token is a secret: /api/v1/status (Redact of the config's
// Values, as the daemon builds it) never shows it, nor does the config
// logged at start.
func TestPeerNoticeTokenRedactedInStatus(t *testing.T) {
	const tok = "fleet-peer-token-0123456789"
	cfg, _, err := config.Load("", []string{"ZDM_PEER_NOTICE_TOKEN=" + tok,
		"ZDM_ORIGIN_CONTACT_POINTS=10.0.0.1", "ZDM_TARGET_CONTACT_POINTS=10.0.0.2"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PeerNoticeToken != tok {
		t.Fatalf("PeerNoticeToken = %q", cfg.PeerNoticeToken)
	}
	vals := cfg.Values()
	m := make(map[string]any, len(vals))
	for k, v := range vals {
		m[k] = v
	}
	b, err := json.Marshal(admin.Status{Config: admin.Redact(m)})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), tok) || !strings.Contains(string(b), `"peer_notice_token":"`) {
		t.Fatalf("status config: %s", b)
	}
	if strings.Contains(cfg.LogValue().String(), tok) {
		t.Fatalf("token in the logged config: %s", cfg.LogValue())
	}
	for _, k := range config.Keys() {
		if k.Name == "peer_notice_token" && (!k.Secret || k.Env != "ZDM_PEER_NOTICE_TOKEN") {
			t.Fatalf("key info %+v", k)
		}
	}
}
