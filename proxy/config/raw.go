package config

import (
	"fmt"
	"os"
)

// LoadRaw is Load that also returns the raw bytes of the file it read (nil
// when path is empty), read exactly once, so a hash of them describes the
// config that was applied.
func LoadRaw(path string, environ []string) (*Config, []string, []byte, error) {
	var data []byte
	if path != "" {
		var err error
		data, err = os.ReadFile(path)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("config: read %s: %w", path, err)
		}
	}
	c, w, err := load(path, data, environ)
	if err != nil {
		return nil, nil, nil, err
	}
	return c, w, data, nil
}
