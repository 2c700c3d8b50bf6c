package modules

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Args are a task's module arguments after rendering.
type Args map[string]any

// Has reports whether k is set.
func (a Args) Has(k string) bool { _, ok := a[k]; return ok }

// String returns k as a string ("" when unset). Numbers and bools are
// formatted; lists and maps are an error.
func (a Args) String(k string) (string, error) {
	v, ok := a[k]
	if !ok || v == nil {
		return "", nil
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case int, int64, float64, bool, uint64:
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("%s: want a string, got %T", k, v)
}

// Str is String ignoring errors (for args validated as strings).
func (a Args) Str(k string) string { s, _ := a.String(k); return s }

// Int returns k as an int, def when unset.
func (a Args) Int(k string, def int) (int, error) {
	v, ok := a[k]
	if !ok || v == nil {
		return def, nil
	}
	switch x := v.(type) {
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case uint64:
		return int(x), nil
	case float64:
		if x == float64(int(x)) {
			return int(x), nil
		}
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		if err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("%s: want an integer, got %v", k, v)
}

// Bool returns k as a bool, def when unset. Accepts yes/no/true/false/1/0.
func (a Args) Bool(k string, def bool) (bool, error) {
	v, ok := a[k]
	if !ok || v == nil {
		return def, nil
	}
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "yes", "on", "1":
			return true, nil
		case "false", "no", "off", "0", "":
			return false, nil
		}
	case int:
		return x != 0, nil
	}
	return false, fmt.Errorf("%s: want true or false, got %v", k, v)
}

// StringList returns k as a list of strings; a single string is a list of
// one, and a comma-separated string is split.
func (a Args) StringList(k string) ([]string, error) {
	v, ok := a[k]
	if !ok || v == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case string:
		var out []string
		for _, p := range strings.Split(x, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	case []string:
		return x, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			switch e.(type) {
			case string, int, int64, float64, bool:
				out = append(out, fmt.Sprint(e))
			default:
				return nil, fmt.Errorf("%s: list items must be scalars, got %T", k, e)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: want a list, got %T", k, v)
}

// Duration returns k as a duration: a Go duration ("1m30s") or a number of
// seconds.
func (a Args) Duration(k string, def time.Duration) (time.Duration, error) {
	v, ok := a[k]
	if !ok || v == nil {
		return def, nil
	}
	switch x := v.(type) {
	case int:
		return time.Duration(x) * time.Second, nil
	case int64:
		return time.Duration(x) * time.Second, nil
	case float64:
		return time.Duration(x * float64(time.Second)), nil
	case string:
		s := strings.TrimSpace(x)
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			return time.Duration(n * float64(time.Second)), nil
		}
		d, err := time.ParseDuration(s)
		if err == nil {
			return d, nil
		}
	}
	return 0, fmt.Errorf("%s: want a duration like 30s or a number of seconds, got %v", k, v)
}

// Mode returns k as permission bits; set is false when unset. Strings are
// octal ("0644", "644", "0o644"); integers are read as octal digits too
// (644 means 0644).
func (a Args) Mode(k string) (os.FileMode, bool, error) {
	v, ok := a[k]
	if !ok || v == nil {
		return 0, false, nil
	}
	s := strings.TrimPrefix(strings.TrimSpace(fmt.Sprint(v)), "0o")
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o7777 {
		return 0, false, fmt.Errorf("%s: want an octal mode like \"0644\", got %v", k, v)
	}
	return os.FileMode(n), true, nil
}
