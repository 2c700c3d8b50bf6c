package tmpl

import (
	"slices"
	"testing"
)

func TestTaintFollowsTransforms(t *testing.T) {
	vars := map[string]any{"pw": "S3cr3tValue", "user": "bob", "list": []any{"a", "b", "c"}}
	for _, c := range []struct{ text, derived string }{
		{`{{ .pw | upper }}`, "S3CR3TVALUE"},
		{`{{ .pw | replace "3" "e" }}`, "SecretValue"},
		{`{{ slice .pw 1 5 }}`, "3cr3"},
		{`{{ printf "%s!" (.pw | lower) }}`, "s3cr3tvalue!"},
		{`{{ .pw | lower | upper | quote }}`, "'S3CR3TVALUE'"},
		{`{{ .pw | urlquery }}`, "S3cr3tValue"}, // unchanged: already secret, not recorded again
	} {
		taint := NewTaint([]string{"S3cr3tValue"})
		out, err := RenderTainted("t", c.text, vars, taint)
		if err != nil {
			t.Fatal(err)
		}
		d := taint.Derived()
		if c.derived == "S3cr3tValue" {
			if len(d) != 0 {
				t.Errorf("%s: derived %q, want none new", c.text, d)
			}
			continue
		}
		if !slices.Contains(d, out) || !slices.Contains(d, c.derived) {
			t.Errorf("%s: out %q, derived %q, want %q recorded", c.text, out, d, c.derived)
		}
	}
	// Values not derived from a secret are not recorded.
	taint := NewTaint([]string{"S3cr3tValue"})
	if out, err := RenderTainted("t", `{{ .user | upper }} {{ slice .list 1 }}`, vars, taint); err != nil || out != "BOB [b c]" || len(taint.Derived()) != 0 {
		t.Fatalf("%q %v %q", out, err, taint.Derived())
	}
}
