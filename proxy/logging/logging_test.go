package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestParseLevel(t *testing.T) {
	cases := map[string]slog.Level{
		"": slog.LevelInfo, "INFO": slog.LevelInfo, "debug": slog.LevelDebug, "Trace": slog.LevelDebug,
		"warn": slog.LevelWarn, "WARNING": slog.LevelWarn, "error": slog.LevelError, "fatal": slog.LevelError,
	}
	for in, want := range cases {
		got, err := ParseLevel(in)
		if err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("ParseLevel(loud) accepted")
	}
}

func TestJSONRedactsAndLiveLevel(t *testing.T) {
	var buf bytes.Buffer
	log, lv, err := New(&buf, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hidden")
	if buf.Len() != 0 {
		t.Fatalf("debug logged at info: %s", buf.String())
	}
	lv.Set(slog.LevelDebug)
	log.With("component", "x").Debug("shown",
		"origin_password", "hunter2", "AuthToken", "abc", "client_secret", "s3",
		"empty_password", "", "user", "bob",
		slog.Group("target", slog.String("password", "p"), slog.String("host", "h")))
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not one JSON record: %v: %s", err, buf.String())
	}
	for _, k := range []string{"origin_password", "AuthToken", "client_secret"} {
		if rec[k] != Redacted {
			t.Errorf("%s = %v, want redacted", k, rec[k])
		}
	}
	if rec["empty_password"] != "" || rec["user"] != "bob" || rec["component"] != "x" {
		t.Errorf("non-secrets changed: %v", rec)
	}
	grp := rec["target"].(map[string]any)
	if grp["password"] != Redacted || grp["host"] != "h" {
		t.Errorf("group = %v", grp)
	}
	for _, s := range []string{"hunter2", "abc", "s3"} {
		if strings.Contains(buf.String(), s) {
			t.Errorf("secret %q in output: %s", s, buf.String())
		}
	}
}

func TestTextFormatAndErrors(t *testing.T) {
	var buf bytes.Buffer
	log, _, err := New(&buf, "warn", "")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("no")
	log.Warn("yes", "token", "t0k")
	out := buf.String()
	if !strings.Contains(out, "msg=yes") || strings.Contains(out, "msg=no") || !strings.Contains(out, "token=REDACTED") {
		t.Errorf("text output = %q", out)
	}
	if _, _, err := New(&buf, "info", "xml"); err == nil {
		t.Error("format xml accepted")
	}
	if _, _, err := New(&buf, "nope", "json"); err == nil {
		t.Error("level nope accepted")
	}
}
