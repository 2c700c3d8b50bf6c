package config

import "fmt"

// CheckValue reports whether value is a valid value of key name as the
// proxy would read it from its config file (the error is the one the proxy
// would give at start, value redacted for secrets). zdmctl calls it on
// every value it renders, so input the proxy would refuse is refused
// before any proxy sees it.
func CheckValue(name, value string) error {
	k := findKey(name)
	if k == nil {
		return fmt.Errorf("config: unknown key %q", name)
	}
	if err := k.set(&Config{}, value); err != nil {
		return badValue(k, value, "as the proxy reads it", err)
	}
	return nil
}

// Parse reads a whole config file's bytes as Load does (defaults, the
// file, cross-key rules), without the environment; name is for messages.
func Parse(name string, data []byte) (*Config, error) {
	c, _, err := load(name, data, nil)
	return c, err
}

// KnownKey reports whether name is a key of the proxy's config file.
func KnownKey(name string) bool { return findKey(name) != nil }
