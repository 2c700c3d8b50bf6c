package expr

import (
	"errors"
	"testing"
)

func TestEval(t *testing.T) {
	vars := map[string]any{
		"env":   "prod",
		"count": 3,
		"ratio": 0.5,
		"flag":  true,
		"empty": "",
		"names": []any{"a", "b"},
		"res": map[string]any{
			"rc": 0, "changed": true, "stdout": "active\n", "nested": map[string]any{"x": "y"},
			"list": []any{map[string]any{"name": "n0"}, map[string]any{"name": "n1"}},
		},
		"ports": map[string]any{"cql": 9042},
	}
	cases := []struct {
		src  string
		want bool
	}{
		{`env == "prod"`, true},
		{`env == 'dev'`, false},
		{`env != "dev"`, true},
		{`count > 2`, true},
		{`count < 2`, false},
		{`count >= 3 and count <= 3`, true},
		{`ratio < 1`, true},
		{`res.rc == 0`, true},
		{`res.rc != 0`, false},
		{`res.changed`, true},
		{`not res.changed`, false},
		{`"active" in res.stdout`, true},
		{`"failed" not in res.stdout`, true},
		{`env in ["prod", "stage"]`, true},
		{`count in [1, 2]`, false},
		{`"cql" in ports`, true},
		{`ports.cql == 9042`, true},
		{`missing is defined`, false},
		{`missing is undefined`, true},
		{`missing is not defined`, true},
		{`env is defined`, true},
		{`res.nested.x is defined`, true},
		{`res.nested.z is defined`, false},
		{`defined(env)`, true},
		{`undefined(nope)`, true},
		{`missing is defined and missing == 1`, false},
		{`flag or missing == 1`, true},
		{`(env == "dev" or env == "prod") and count == 3`, true},
		{`not (env == "dev")`, true},
		{`empty`, false},
		{`names`, true},
		{`names.1 == "b"`, true},
		{`res.list.0.name == "n0"`, true},
		{`res.list.1.name == "n1" and ratio == 0.5`, true},
		{`res.rc == -1`, false},
		{`count == "3"`, true},
		{`true`, true},
		{`False`, false},
		{`env == "prod" && !flag`, false},
		{`flag || false`, true},
	}
	for _, c := range cases {
		e, err := Parse(c.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.src, err)
			continue
		}
		got, err := e.Bool(vars)
		if err != nil {
			t.Errorf("Eval(%q): %v", c.src, err)
			continue
		}
		if got != c.want {
			t.Errorf("Eval(%q) = %v, want %v", c.src, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, src := range []string{
		``, `env ==`, `(env == "x"`, `env = "x"`, `"unterminated`, `env is bogus`,
		`and x`, `x y`, `[1, 2`, `env == "a" or`, `x @ y`, `"a" is defined`,
	} {
		if _, err := Parse(src); err == nil {
			t.Errorf("Parse(%q) succeeded, want error", src)
		}
	}
}

func TestUndefinedIsError(t *testing.T) {
	e := MustParse(`nope == 1`)
	_, err := e.Bool(map[string]any{})
	var u *UndefinedError
	if !errors.As(err, &u) || u.Name != "nope" {
		t.Fatalf("err = %v, want UndefinedError for nope", err)
	}
}

func TestOrderingTypeError(t *testing.T) {
	if _, err := MustParse(`flag < 1`).Bool(map[string]any{"flag": true}); err == nil {
		t.Fatal("ordering a bool succeeded")
	}
}
