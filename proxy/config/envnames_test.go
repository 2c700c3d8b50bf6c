package config

import (
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/internal/spell"
)

var baseEnv = []string{"ZDM_ORIGIN_CONTACT_POINTS=10.0.0.1", "ZDM_TARGET_CONTACT_POINTS=10.0.1.1"}

func TestMisspeltEnvStopsStartup(t *testing.T) {
	cases := []struct{ env, want string }{
		{"ZDM_READMODE=DUAL_ASYNC_ON_SECONDARY", "ZDM_READ_MODE"},                // separator dropped
		{"ZDM_READ-MODE=DUAL_ASYNC_ON_SECONDARY", "ZDM_READ_MODE"},               // other separator
		{"ZDM__READ_MODE=DUAL_ASYNC_ON_SECONDARY", "ZDM_READ_MODE"},              // doubled separator
		{"ZDM_ORIGIN_CONTACT_POINT=10.0.0.2", "ZDM_ORIGIN_CONTACT_POINTS"},       // one letter short
		{"ZDM_ORIGN_PORT=9043", "ZDM_ORIGIN_PORT"},                               // one letter dropped
		{"ZDM_PROXY_LISTEN_PROT=9043", "ZDM_PROXY_LISTEN_PORT"},                  // swapped letters
		{"ZDM_TARGET_USERNAMES=bob", "ZDM_TARGET_USERNAME"},                      // one letter more
		{"ZDM_Proxy_Request_Timeout=5000", "ZDM_PROXY_REQUEST_TIMEOUT_MS"},       // case, two letters short
		{"ZDM_METRICS_ADRES=0.0.0.0", "ZDM_METRICS_ADDRESS"},                     // two letters dropped
		{"ZDM_ORIGIN_TLS_SERVER_CA=/ca.pem", ""},                                 // too far: only a warning
		{"ZDM_LOG_LEVELS=DEBUG", "ZDM_LOG_LEVEL"},                                // plural
		{"ZDM_TARGET_TLS_SKIP_HOSTNAME_VERIFICATON=true", "ZDM_TARGET_TLS_SKIP"}, // long key, one letter
	}
	for _, tc := range cases {
		_, warnings, err := Load("", append(baseEnv[:2:2], tc.env))
		name, _, _ := strings.Cut(tc.env, "=")
		if tc.want == "" {
			if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], name) {
				t.Errorf("%s: want one warning naming it, got %v, %v", tc.env, warnings, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: started, want an error suggesting %s (warnings %v)", tc.env, tc.want, warnings)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "unknown environment variable "+name+";") || !strings.Contains(msg, "did you mean "+tc.want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q: want one line naming %s and suggesting %s", tc.env, msg, name, tc.want)
		}
	}
}

func TestMisspeltSecretEnvHidesValue(t *testing.T) {
	_, _, err := Load("", append(baseEnv[:2:2], "ZDM_ORIGIN_PASWORD=hunter2-s3cret"))
	if err == nil || !strings.Contains(err.Error(), "did you mean ZDM_ORIGIN_PASSWORD?") {
		t.Fatalf("err = %v, want a suggestion of ZDM_ORIGIN_PASSWORD", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("the value leaked: %v", err)
	}
}

func TestUnrelatedEnvOnlyWarns(t *testing.T) {
	env := append(baseEnv[:2:2], "ZDM_DEPLOYED_BY=ops-team", "ZDM_HOME=/srv/zdm")
	c, warnings, err := Load("", env)
	if err != nil || c == nil {
		t.Fatalf("unrelated ZDM_* variables stopped startup: %v", err)
	}
	if len(warnings) != 2 || !strings.Contains(warnings[0], "ZDM_DEPLOYED_BY") || !strings.Contains(warnings[1], "ZDM_HOME") {
		t.Fatalf("warnings = %q, want one per unknown variable", warnings)
	}
}

func TestOtherToolsPrefixesAreSkipped(t *testing.T) {
	// The bench harness's and the tests' own variables, some of them close
	// to a key once the prefix is dropped, must neither stop nor warn.
	env := append(baseEnv[:2:2],
		"ZDM_BENCH_RATE=5000", "ZDM_BENCH_PROXY_BIN=/tmp/zdm-proxy", "ZDM_BENCH_ONLY=write",
		"ZDM_E2E_ORIGIN_PASSWORD=x", "ZDM_TEST_ORIGIN_PASSWORD=y", "ZDM_TEST_SSH_PASSWORD=z")
	_, warnings, err := Load("", env)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("err %v, warnings %q: want neither", err, warnings)
	}
}

func TestKnownEnvStillWorksInAnyCase(t *testing.T) {
	c, warnings, err := Load("", append(baseEnv[:2:2], "ZDM_read_mode=DUAL_ASYNC_ON_SECONDARY"))
	if err != nil || len(warnings) != 0 || c.ReadMode != ReadModeDualAsyncOnSecondary {
		t.Fatalf("err %v, warnings %q, read_mode %q", err, warnings, c.ReadMode)
	}
}

// Two keys within maxTypoDistance of each other would make a correct
// name of one a "typo" of the other's neighbourhood and the suggestion a
// guess: keep every pair further apart.
func TestKeysAreFarApart(t *testing.T) {
	for i := range knownKeys {
		for j := i + 1; j < len(knownKeys); j++ {
			a, b := knownKeys[i].name, knownKeys[j].name
			if d := spell.Distance(spell.Letters(a), spell.Letters(b)); d <= maxTypoDistance {
				t.Errorf("keys %s and %s are %d edits apart", a, b, d)
			}
		}
	}
}
