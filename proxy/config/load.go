package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// EnvPrefix prefixes every environment override: ZDM_ORIGIN_CONTACT_POINTS etc.
const EnvPrefix = "ZDM_"

// Load builds a Config from defaults, then the YAML file at path (if path is
// not empty), then ZDM_* variables in environ (os.Environ() format). Unknown
// YAML keys and bad values are errors; the error is one line naming the key,
// the value (redacted for secrets) and what is allowed. An unknown ZDM_*
// variable that looks like a misspelt key (separators, case or up to two
// letters off) is an error naming the variable and the key it resembles;
// other unknown ZDM_* variables are returned as warnings, except those
// under IgnoredEnvPrefixes, which are skipped.
func Load(path string, environ []string) (*Config, []string, error) {
	c, w, _, err := LoadRaw(path, environ)
	return c, w, err
}

func load(path string, data []byte, environ []string) (*Config, []string, error) {
	c := &Config{}
	for _, k := range knownKeys {
		if err := k.set(c, k.def); err != nil && k.def != "" {
			return nil, nil, fmt.Errorf("config: bad default for %s: %w", k.name, err)
		}
	}
	if path != "" {
		if err := applyData(c, path, data); err != nil {
			return nil, nil, err
		}
	}
	warnings, err := applyEnv(c, environ)
	if err != nil {
		return nil, nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	return c, warnings, nil
}

func applyData(c *Config, path string, data []byte) error {
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("config: parse %s: %s", path, oneLine(err.Error()))
	}
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		k := findKey(name)
		if k == nil {
			return fmt.Errorf("config: unknown key %q in %s", name, path)
		}
		v, err := scalar(raw[name])
		if err != nil {
			return fmt.Errorf("config: key %s in %s: %v", name, path, err)
		}
		if err := k.set(c, v); err != nil {
			return badValue(k, v, path, err)
		}
	}
	return nil
}

func applyEnv(c *Config, environ []string) ([]string, error) {
	var warnings []string
	for _, kv := range environ {
		name, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		k := findKey(strings.ToLower(strings.TrimPrefix(name, EnvPrefix)))
		if k == nil {
			w, err := unknownEnv(name)
			if err != nil {
				return nil, err
			}
			if w != "" {
				warnings = append(warnings, w)
			}
			continue
		}
		if err := k.set(c, v); err != nil {
			return nil, badValue(k, v, "environment variable "+name, err)
		}
	}
	return warnings, nil
}

func badValue(k *key, v, where string, why error) error {
	shown := v
	if k.secret {
		shown = "<redacted>"
	}
	return fmt.Errorf("config: invalid value %q for key %s (%s); %v", oneLine(shown), k.name, where, why)
}

func scalar(v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			s, err := scalar(e)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), nil
	case map[string]any:
		return "", errors.New("expected a scalar or a list, got a mapping")
	default:
		return fmt.Sprint(t), nil
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Validate checks cross-key rules.
func (c *Config) Validate() error {
	if len(c.Origin.ContactPoints) == 0 {
		return errors.New("config: missing required key origin_contact_points (env ZDM_ORIGIN_CONTACT_POINTS); allowed: a comma-separated list of hosts")
	}
	if len(c.Target.ContactPoints) == 0 {
		return errors.New("config: missing required key target_contact_points (env ZDM_TARGET_CONTACT_POINTS); allowed: a comma-separated list of hosts")
	}
	if n := len(c.TopologyAddresses); n > 0 && c.TopologyIndex >= n {
		return fmt.Errorf("config: invalid value \"%d\" for key proxy_topology_index; allowed: 0 to %d (proxy_topology_addresses has %d entries)", c.TopologyIndex, n-1, n)
	}
	return c.validateWrites()
}
