package config

import (
	"strings"
	"testing"
)

var writesEnv = []string{"ZDM_ORIGIN_CONTACT_POINTS=o", "ZDM_TARGET_CONTACT_POINTS=t"}

func TestWriteModeKeys(t *testing.T) {
	c, _, err := Load("", writesEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.WriteMode != WriteModeDualSync || c.JournalMaxBytes != 1<<30 || c.TargetConsistencyLevel != "" {
		t.Fatalf("defaults: %+v", c.Writes)
	}
	c, _, err = Load("", append(writesEnv, "ZDM_WRITE_MODE=dual_async_on_secondary", "ZDM_JOURNAL_DIR=/var/lib/zdm-proxy/journal",
		"ZDM_TARGET_CONSISTENCY_LEVEL=local_one", "ZDM_JOURNAL_MAX_BYTES=2097152"))
	if err != nil {
		t.Fatal(err)
	}
	if c.WriteMode != WriteModeDualAsyncOnSecondary || c.JournalDir != "/var/lib/zdm-proxy/journal" || c.TargetConsistencyLevel != "LOCAL_ONE" || c.JournalMaxBytes != 2<<20 {
		t.Fatalf("parsed: %+v", c.Writes)
	}
	if code, ok := ConsistencyCode(c.TargetConsistencyLevel); !ok || code != 0x0A {
		t.Fatalf("LOCAL_ONE code %x %v", code, ok)
	}
	if !IsMutable("write_mode") || !IsMutable("target_consistency_level") || IsMutable("journal_dir") {
		t.Fatal("write_mode and target_consistency_level reload live; journal_dir needs a restart")
	}
}

func TestWriteModeBadInput(t *testing.T) {
	for _, tc := range []struct{ env, want string }{
		{"ZDM_WRITE_MODE=ASYNC", "allowed: DUAL_SYNC, DUAL_ASYNC_ON_SECONDARY"},
		{"ZDM_WRITE_MODE=DUAL_ASYNC_ON_SECONDARY", "write_mode DUAL_ASYNC_ON_SECONDARY needs journal_dir (env ZDM_JOURNAL_DIR)"},
		{"ZDM_TARGET_CONSISTENCY_LEVEL=SERIAL", "LOCAL_ONE (empty: the client's own)"},
		{"ZDM_JOURNAL_MAX_BYTES=10", "journal_max_bytes"},
	} {
		_, _, err := Load("", append(writesEnv, tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line containing %q", tc.env, err, tc.want)
		}
	}
}
