package tmpl

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	vars := map[string]any{
		"name":  "proxy",
		"port":  9042,
		"hosts": []any{"a", "b"},
		"tls":   map[string]any{"enabled": true},
		"empty": "",
		"cfg":   map[string]any{"k": "v"},
	}
	cases := map[string]string{
		`{{ .name }}:{{ .port }}`:                  "proxy:9042",
		`{{ .empty | default "x" }}`:               "x",
		`{{ get "missing" | default 7 }}`:          "7",
		`{{ get "tls.enabled" }}`:                  "true",
		`{{ has "tls.nope" }}`:                     "false",
		`{{ join "," .hosts }}`:                    "a,b",
		`{{ quote "it's" }}`:                       `'it'\''s'`,
		`{{ toJson .hosts }}`:                      `["a","b"]`,
		`{{ toYaml .cfg }}`:                        "k: v",
		`{{ "a\nb" | indent 2 }}`:                  "  a\n  b",
		`{{ upper .name }}`:                        "PROXY",
		`{{ if contains "ro" .name }}yes{{ end }}`: "yes",
		`plain text`:                               "plain text",
		`{{ replace "p" "P" .name }}`:              "Proxy",
	}
	for src, want := range cases {
		got, err := Render("t", src, vars)
		if err != nil {
			t.Errorf("Render(%q): %v", src, err)
			continue
		}
		if got != want {
			t.Errorf("Render(%q) = %q, want %q", src, got, want)
		}
	}
}

func TestMissingKeyIsError(t *testing.T) {
	_, err := Render("t", `{{ .nope }}`, map[string]any{"a": 1})
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("err = %v, want missing key error naming nope", err)
	}
}

func TestRequired(t *testing.T) {
	_, err := Render("t", `{{ required "cluster_name is required" (get "cluster_name") }}`, map[string]any{})
	if err == nil || !strings.Contains(err.Error(), "cluster_name is required") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseError(t *testing.T) {
	if _, err := Parse("t", `{{ .a `); err == nil {
		t.Fatal("unterminated action parsed")
	}
	if err := CheckValue("t", map[string]any{"x": []any{"{{ if }}"}}); err == nil {
		t.Fatal("nested bad template passed CheckValue")
	}
}
